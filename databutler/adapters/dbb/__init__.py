"""The Data Backbone (DBB) adapters: databutler over the DESDM file catalog and archive."""

BEGIN TRANSACTION;
CREATE TABLE band (
	name VARCHAR(32) NOT NULL, 
	PRIMARY KEY (name)
);
INSERT INTO "band" VALUES('r');
INSERT INTO "band" VALUES('g');
CREATE TABLE collection (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	name VARCHAR(255) NOT NULL, 
	kind VARCHAR(16) NOT NULL, 
	doc TEXT NOT NULL, 
	UNIQUE (name)
);
INSERT INTO "collection" VALUES(1,'u/alice/run1','RUN','first run');
INSERT INTO "collection" VALUES(2,'u/alice/run2','RUN','');
INSERT INTO "collection" VALUES(3,'u/alice/best','TAGGED','hand-picked');
INSERT INTO "collection" VALUES(4,'u/alice/all','CHAINED','');
INSERT INTO "collection" VALUES(5,'empty/chain','CHAINED','');
CREATE TABLE collection_chain (
	parent INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	child INTEGER NOT NULL, 
	PRIMARY KEY (parent, position), 
	FOREIGN KEY(parent) REFERENCES collection (id) ON DELETE CASCADE, 
	FOREIGN KEY(child) REFERENCES collection (id)
);
INSERT INTO "collection_chain" VALUES(4,0,3);
INSERT INTO "collection_chain" VALUES(4,1,2);
INSERT INTO "collection_chain" VALUES(4,2,1);
CREATE TABLE dataset (
	id CHAR(32) NOT NULL, 
	dataset_type_id INTEGER NOT NULL, 
	run_id INTEGER NOT NULL, 
	data_id_key VARCHAR NOT NULL, 
	instrument VARCHAR(32), 
	band VARCHAR(32), 
	physical_filter VARCHAR(32), 
	detector BIGINT, 
	day_obs BIGINT, 
	exposure BIGINT, 
	visit BIGINT, 
	skymap VARCHAR(64), 
	tract BIGINT, 
	patch BIGINT, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_dataset_type_run_data_id UNIQUE (dataset_type_id, run_id, data_id_key), 
	FOREIGN KEY(dataset_type_id) REFERENCES dataset_type (id), 
	FOREIGN KEY(run_id) REFERENCES run (collection_id)
);
INSERT INTO "dataset" VALUES('383e8b517ee0481586baf7eb84d83bbd',1,1,'["Cam1",1,1]','Cam1','g','Cam1-g',1,20240101,NULL,1,NULL,NULL,NULL);
INSERT INTO "dataset" VALUES('c15da9366db4410c98f57c3b5c16a701',1,1,'["Cam1",1,2]','Cam1','g','Cam1-g',1,20240101,NULL,2,NULL,NULL,NULL);
INSERT INTO "dataset" VALUES('af7135372ebf4ae5ac9cf3dfe6860db1',1,1,'["Cam1",1,3]','Cam1','r','Cam1-r',1,20240102,NULL,3,NULL,NULL,NULL);
INSERT INTO "dataset" VALUES('5e38f4e8459b4bc58a6a0fc865a96b0e',1,1,'["Cam1",1,4]','Cam1','r','Cam1-r',1,20240102,NULL,4,NULL,NULL,NULL);
INSERT INTO "dataset" VALUES('ac4a3333e56b41ddb7d1592773fd3cb0',1,1,'["Cam1",2,1]','Cam1','g','Cam1-g',2,20240101,NULL,1,NULL,NULL,NULL);
INSERT INTO "dataset" VALUES('7b09c5a51b434d2085e3d087a864c05c',1,1,'["Cam1",2,2]','Cam1','g','Cam1-g',2,20240101,NULL,2,NULL,NULL,NULL);
INSERT INTO "dataset" VALUES('1c3d89060c3c4702a00017568aef579c',1,1,'["Cam1",2,3]','Cam1','r','Cam1-r',2,20240102,NULL,3,NULL,NULL,NULL);
INSERT INTO "dataset" VALUES('a329e915249345068bf01cc001401cb0',1,1,'["Cam1",2,4]','Cam1','r','Cam1-r',2,20240102,NULL,4,NULL,NULL,NULL);
INSERT INTO "dataset" VALUES('71bd65ce80f845699471a68fb2f6c5e0',2,2,'["g","SkyMap1",0,0]',NULL,'g',NULL,NULL,NULL,NULL,NULL,'SkyMap1',0,0);
INSERT INTO "dataset" VALUES('fac5b203109041839b1736bf29916af6',2,2,'["g","SkyMap1",0,1]',NULL,'g',NULL,NULL,NULL,NULL,NULL,'SkyMap1',0,1);
CREATE TABLE dataset_artifact (
	dataset_id CHAR(32) NOT NULL, 
	component VARCHAR(64) NOT NULL, 
	uri TEXT NOT NULL, 
	formatter VARCHAR(255) NOT NULL, 
	storage_class VARCHAR(128) NOT NULL, 
	checksum VARCHAR(128), 
	size BIGINT, 
	PRIMARY KEY (dataset_id, component), 
	FOREIGN KEY(dataset_id) REFERENCES dataset (id) ON DELETE CASCADE
);
INSERT INTO "dataset_artifact" VALUES('383e8b517ee0481586baf7eb84d83bbd','','u/alice/run1/calexp/383e8b51-7ee0-4815-86ba-f7eb84d83bbd.json','databutler.JsonFormatter','StructuredData','sha256:de62876b65f05f5aa7cc748d7994810fde62876b65f05f5aa7cc748d7994810f',100);
INSERT INTO "dataset_artifact" VALUES('ac4a3333e56b41ddb7d1592773fd3cb0','','u/alice/run1/calexp/ac4a3333-e56b-41dd-b7d1-592773fd3cb0.json','databutler.JsonFormatter','StructuredData','sha256:edd09e1d96e156bdbfc650b94bcb3cacedd09e1d96e156bdbfc650b94bcb3cac',101);
INSERT INTO "dataset_artifact" VALUES('c15da9366db4410c98f57c3b5c16a701','','u/alice/run1/calexp/c15da936-6db4-410c-98f5-7c3b5c16a701.json','databutler.JsonFormatter','StructuredData','sha256:401eb297979059ac831b693298a995e6401eb297979059ac831b693298a995e6',102);
INSERT INTO "dataset_artifact" VALUES('7b09c5a51b434d2085e3d087a864c05c','','u/alice/run1/calexp/7b09c5a5-1b43-4d20-85e3-d087a864c05c.json','databutler.JsonFormatter','StructuredData','sha256:dd04cb2bf0dd5ce6947375da74547485dd04cb2bf0dd5ce6947375da74547485',103);
INSERT INTO "dataset_artifact" VALUES('af7135372ebf4ae5ac9cf3dfe6860db1','','u/alice/run1/calexp/af713537-2ebf-4ae5-ac9c-f3dfe6860db1.json','databutler.JsonFormatter','StructuredData','sha256:83568fcb1794581fbad21e83a248a22183568fcb1794581fbad21e83a248a221',104);
INSERT INTO "dataset_artifact" VALUES('1c3d89060c3c4702a00017568aef579c','','u/alice/run1/calexp/1c3d8906-0c3c-4702-a000-17568aef579c.json','databutler.JsonFormatter','StructuredData','sha256:2372e9478303570eb9023e28dbd0db852372e9478303570eb9023e28dbd0db85',105);
INSERT INTO "dataset_artifact" VALUES('5e38f4e8459b4bc58a6a0fc865a96b0e','','u/alice/run1/calexp/5e38f4e8-459b-4bc5-8a6a-0fc865a96b0e.json','databutler.JsonFormatter','StructuredData','sha256:7050bc04ae6b53e9894573d16fb904267050bc04ae6b53e9894573d16fb90426',106);
INSERT INTO "dataset_artifact" VALUES('a329e915249345068bf01cc001401cb0','','u/alice/run1/calexp/a329e915-2493-4506-8bf0-1cc001401cb0.json','databutler.JsonFormatter','StructuredData','sha256:3f1679bf35d55a9cb3af0ff329f530083f1679bf35d55a9cb3af0ff329f53008',107);
INSERT INTO "dataset_artifact" VALUES('71bd65ce80f845699471a68fb2f6c5e0','image','u/alice/run2/coadd/71bd65ce-80f8-4569-9471-a68fb2f6c5e0_image.json','databutler.JsonFormatter','StructuredData',NULL,NULL);
INSERT INTO "dataset_artifact" VALUES('71bd65ce80f845699471a68fb2f6c5e0','mask','u/alice/run2/coadd/71bd65ce-80f8-4569-9471-a68fb2f6c5e0_mask.json','databutler.JsonFormatter','StructuredData',NULL,NULL);
INSERT INTO "dataset_artifact" VALUES('fac5b203109041839b1736bf29916af6','image','u/alice/run2/coadd/fac5b203-1090-4183-9b17-36bf29916af6_image.json','databutler.JsonFormatter','StructuredData',NULL,NULL);
INSERT INTO "dataset_artifact" VALUES('fac5b203109041839b1736bf29916af6','mask','u/alice/run2/coadd/fac5b203-1090-4183-9b17-36bf29916af6_mask.json','databutler.JsonFormatter','StructuredData',NULL,NULL);
CREATE TABLE dataset_tag (
	collection_id INTEGER NOT NULL, 
	dataset_type_id INTEGER NOT NULL, 
	data_id_key VARCHAR NOT NULL, 
	dataset_id CHAR(32) NOT NULL, 
	PRIMARY KEY (collection_id, dataset_type_id, data_id_key), 
	FOREIGN KEY(collection_id) REFERENCES collection (id) ON DELETE CASCADE, 
	FOREIGN KEY(dataset_id) REFERENCES dataset (id) ON DELETE CASCADE
);
INSERT INTO "dataset_tag" VALUES(3,1,'["Cam1",1,1]','383e8b517ee0481586baf7eb84d83bbd');
INSERT INTO "dataset_tag" VALUES(3,1,'["Cam1",2,1]','ac4a3333e56b41ddb7d1592773fd3cb0');
INSERT INTO "dataset_tag" VALUES(3,1,'["Cam1",1,2]','c15da9366db4410c98f57c3b5c16a701');
INSERT INTO "dataset_tag" VALUES(3,2,'["g","SkyMap1",0,0]','71bd65ce80f845699471a68fb2f6c5e0');
CREATE TABLE dataset_type (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	name VARCHAR(128) NOT NULL, 
	units TEXT NOT NULL, 
	storage_class VARCHAR(128) NOT NULL, 
	UNIQUE (name)
);
INSERT INTO "dataset_type" VALUES(1,'calexp','["instrument", "detector", "visit"]','StructuredData');
INSERT INTO "dataset_type" VALUES(2,'coadd','["band", "skymap", "tract", "patch"]','StructuredData');
INSERT INTO "dataset_type" VALUES(3,'unused','["instrument"]','NumpyArray');
CREATE TABLE day_obs (
	instrument VARCHAR(32) NOT NULL, 
	id BIGINT NOT NULL, 
	timespan_begin DATETIME, 
	timespan_end DATETIME, 
	PRIMARY KEY (instrument, id), 
	CONSTRAINT fk_day_obs_instrument FOREIGN KEY(instrument) REFERENCES instrument (name)
);
INSERT INTO "day_obs" VALUES('Cam1',20240101,'2024-01-01 00:00:00.000000','2024-01-02 00:00:00.000000');
INSERT INTO "day_obs" VALUES('Cam1',20240102,'2024-01-02 00:00:00.000000','2024-01-03 00:00:00.000000');
INSERT INTO "day_obs" VALUES('Cam2',20240101,'2024-01-01 00:00:00.000000','2024-01-02 00:00:00.000000');
CREATE TABLE detector (
	instrument VARCHAR(32) NOT NULL, 
	id BIGINT NOT NULL, 
	full_name VARCHAR(32), 
	name_in_raft VARCHAR(32), 
	raft VARCHAR(32), 
	purpose VARCHAR(32), 
	PRIMARY KEY (instrument, id), 
	CONSTRAINT fk_detector_instrument FOREIGN KEY(instrument) REFERENCES instrument (name)
);
INSERT INTO "detector" VALUES('Cam1',1,'S00',NULL,NULL,'SCIENCE');
INSERT INTO "detector" VALUES('Cam1',2,'S01',NULL,NULL,'SCIENCE');
INSERT INTO "detector" VALUES('Cam1',3,'S02',NULL,NULL,'SCIENCE');
INSERT INTO "detector" VALUES('Cam1',4,'S03',NULL,NULL,'SCIENCE');
INSERT INTO "detector" VALUES('Cam2',1,'S00',NULL,NULL,'SCIENCE');
INSERT INTO "detector" VALUES('Cam2',2,'S01',NULL,NULL,'SCIENCE');
INSERT INTO "detector" VALUES('Cam2',3,'S02',NULL,NULL,'SCIENCE');
INSERT INTO "detector" VALUES('Cam2',4,'S03',NULL,NULL,'SCIENCE');
CREATE TABLE exposure (
	instrument VARCHAR(32) NOT NULL, 
	id BIGINT NOT NULL, 
	physical_filter VARCHAR(32), 
	day_obs BIGINT, 
	obs_id VARCHAR(64), 
	"group" VARCHAR(64), 
	exposure_time FLOAT, 
	dark_time FLOAT, 
	observation_type VARCHAR(16), 
	observation_reason VARCHAR(68), 
	science_program VARCHAR(64), 
	target_name VARCHAR(64), 
	seq_num BIGINT, 
	zenith_angle FLOAT, 
	timespan_begin DATETIME, 
	timespan_end DATETIME, 
	PRIMARY KEY (instrument, id), 
	CONSTRAINT fk_exposure_instrument FOREIGN KEY(instrument) REFERENCES instrument (name), 
	CONSTRAINT fk_exposure_physical_filter FOREIGN KEY(instrument, physical_filter) REFERENCES physical_filter (instrument, name), 
	CONSTRAINT fk_exposure_day_obs FOREIGN KEY(instrument, day_obs) REFERENCES day_obs (instrument, id)
);
INSERT INTO "exposure" VALUES('Cam1',101,'Cam1-g',20240101,'Cam1_101',NULL,30.0,NULL,'science',NULL,NULL,'field1',NULL,NULL,'2024-01-01 22:01:00.000000','2024-01-01 22:01:30.000000');
INSERT INTO "exposure" VALUES('Cam1',102,'Cam1-g',20240101,'Cam1_102',NULL,15.0,NULL,'science',NULL,NULL,'field1',NULL,NULL,'2024-01-01 22:02:00.000000','2024-01-01 22:02:15.000000');
INSERT INTO "exposure" VALUES('Cam1',103,'Cam1-r',20240102,'Cam1_103',NULL,30.0,NULL,'science',NULL,NULL,'field2',NULL,NULL,'2024-01-02 22:03:00.000000','2024-01-02 22:03:30.000000');
INSERT INTO "exposure" VALUES('Cam1',104,'Cam1-r',20240102,'Cam1_104',NULL,15.0,NULL,'science',NULL,NULL,'field2',NULL,NULL,'2024-01-02 22:04:00.000000','2024-01-02 22:04:15.000000');
INSERT INTO "exposure" VALUES('Cam2',201,'Cam2-r',20240101,'Cam2_201',NULL,30.0,NULL,'science',NULL,NULL,'field1',NULL,NULL,'2024-01-01 22:11:00.000000','2024-01-01 22:11:30.000000');
INSERT INTO "exposure" VALUES('Cam2',202,'Cam2-r',20240101,'Cam2_202',NULL,15.0,NULL,'science',NULL,NULL,'field1',NULL,NULL,'2024-01-01 22:12:00.000000','2024-01-01 22:12:15.000000');
INSERT INTO "exposure" VALUES('Cam2',203,'Cam2-r',20240101,'Cam2_203',NULL,30.0,NULL,'science',NULL,NULL,'field2',NULL,NULL,'2024-01-01 22:13:00.000000','2024-01-01 22:13:30.000000');
INSERT INTO "exposure" VALUES('Cam2',204,'Cam2-r',20240101,'Cam2_204',NULL,15.0,NULL,'science',NULL,NULL,'field2',NULL,NULL,'2024-01-01 22:14:00.000000','2024-01-01 22:14:15.000000');
CREATE TABLE instrument (
	name VARCHAR(32) NOT NULL, 
	visit_max BIGINT, 
	exposure_max BIGINT, 
	detector_max BIGINT, 
	visit_system BIGINT, 
	class_name VARCHAR(64), 
	PRIMARY KEY (name)
);
INSERT INTO "instrument" VALUES('Cam1',100,1000,4,NULL,'testing.Cam1');
INSERT INTO "instrument" VALUES('Cam2',100,1000,4,NULL,'testing.Cam2');
CREATE TABLE meta (
	"key" VARCHAR(64) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY ("key")
);
INSERT INTO "meta" VALUES('schema_version','1');
INSERT INTO "meta" VALUES('universe','{"namespace": "databutler", "version": 1, "elements": {"instrument": {"key": {"name": "name", "type": "string", "nullable": false, "length": 32}, "metadata": [{"name": "visit_max", "type": "int"}, {"name": "exposure_max", "type": "int"}, {"name": "detector_max", "type": "int"}, {"name": "visit_system", "type": "int"}, {"name": "class_name", "type": "string", "length": 64}], "doc": "A camera; several may share one registry."}, "band": {"key": {"name": "name", "type": "string", "nullable": false, "length": 32}, "populated_by": "physical_filter", "doc": "An abstract filter (u, g, r...), filled in from physical_filter records."}, "physical_filter": {"key": {"name": "name", "type": "string", "nullable": false, "length": 32}, "requires": ["instrument"], "implies": ["band"], "doc": "A filter of one instrument."}, "detector": {"key": {"name": "id", "type": "int", "nullable": false}, "requires": ["instrument"], "metadata": [{"name": "full_name", "type": "string", "length": 32}, {"name": "name_in_raft", "type": "string", "length": 32}, {"name": "raft", "type": "string", "length": 32}, {"name": "purpose", "type": "string", "length": 32}], "doc": "One sensor of an instrument."}, "day_obs": {"key": {"name": "id", "type": "int", "nullable": false}, "requires": ["instrument"], "metadata": [{"name": "timespan", "type": "timespan"}], "doc": "An observing night of an instrument."}, "exposure": {"key": {"name": "id", "type": "int", "nullable": false}, "requires": ["instrument"], "implies": ["physical_filter", "day_obs"], "metadata": [{"name": "obs_id", "type": "string", "length": 64}, {"name": "group", "type": "string", "length": 64}, {"name": "exposure_time", "type": "float"}, {"name": "dark_time", "type": "float"}, {"name": "observation_type", "type": "string", "length": 16}, {"name": "observation_reason", "type": "string", "length": 68}, {"name": "science_program", "type": "string", "length": 64}, {"name": "target_name", "type": "string", "length": 64}, {"name": "seq_num", "type": "int"}, {"name": "zenith_angle", "type": "float"}, {"name": "timespan", "type": "timespan"}], "doc": "One exposure of the whole camera."}, "visit": {"key": {"name": "id", "type": "int", "nullable": false}, "requires": ["instrument"], "implies": ["physical_filter", "day_obs"], "metadata": [{"name": "name", "type": "string", "length": 64}, {"name": "seq_num", "type": "int"}, {"name": "exposure_time", "type": "float"}, {"name": "target_name", "type": "string", "length": 64}, {"name": "observation_reason", "type": "string", "length": 68}, {"name": "science_program", "type": "string", "length": 64}, {"name": "zenith_angle", "type": "float"}, {"name": "timespan", "type": "timespan"}, {"name": "region", "type": "region"}], "doc": "A sequence of exposures processed together."}, "skymap": {"key": {"name": "name", "type": "string", "nullable": false, "length": 64}, "metadata": [{"name": "hash", "type": "string", "length": 64}, {"name": "tract_max", "type": "int"}, {"name": "patch_nx_max", "type": "int"}, {"name": "patch_ny_max", "type": "int"}], "doc": "A tessellation of the sky into tracts and patches."}, "tract": {"key": {"name": "id", "type": "int", "nullable": false}, "requires": ["skymap"], "metadata": [{"name": "region", "type": "region"}], "doc": "A region of a skymap."}, "patch": {"key": {"name": "id", "type": "int", "nullable": false}, "requires": ["skymap", "tract"], "metadata": [{"name": "cell_x", "type": "int"}, {"name": "cell_y", "type": "int"}, {"name": "region", "type": "region"}], "doc": "A region of a tract."}, "visit_detector_region": {"joins": ["visit", "detector"], "metadata": [{"name": "region", "type": "region"}], "doc": "The region of sky one detector saw in one visit."}, "visit_definition": {"joins": ["exposure", "visit"], "doc": "Which exposures make up which visit."}, "visit_patch_overlap": {"joins": ["visit", "patch"], "doc": "Which patches a visit overlaps."}}}');
CREATE TABLE patch (
	skymap VARCHAR(64) NOT NULL, 
	tract BIGINT NOT NULL, 
	id BIGINT NOT NULL, 
	cell_x BIGINT, 
	cell_y BIGINT, 
	region TEXT, 
	PRIMARY KEY (skymap, tract, id), 
	CONSTRAINT fk_patch_skymap FOREIGN KEY(skymap) REFERENCES skymap (name), 
	CONSTRAINT fk_patch_tract FOREIGN KEY(skymap, tract) REFERENCES tract (skymap, id)
);
INSERT INTO "patch" VALUES('SkyMap1',0,0,0,0,'patch(0,0)');
INSERT INTO "patch" VALUES('SkyMap1',0,1,1,0,'patch(0,1)');
INSERT INTO "patch" VALUES('SkyMap1',0,2,0,1,'patch(0,2)');
INSERT INTO "patch" VALUES('SkyMap1',0,3,1,1,'patch(0,3)');
INSERT INTO "patch" VALUES('SkyMap1',1,0,0,0,'patch(1,0)');
INSERT INTO "patch" VALUES('SkyMap1',1,1,1,0,'patch(1,1)');
INSERT INTO "patch" VALUES('SkyMap1',1,2,0,1,'patch(1,2)');
INSERT INTO "patch" VALUES('SkyMap1',1,3,1,1,'patch(1,3)');
CREATE TABLE physical_filter (
	instrument VARCHAR(32) NOT NULL, 
	name VARCHAR(32) NOT NULL, 
	band VARCHAR(32), 
	PRIMARY KEY (instrument, name), 
	CONSTRAINT fk_physical_filter_instrument FOREIGN KEY(instrument) REFERENCES instrument (name), 
	CONSTRAINT fk_physical_filter_band FOREIGN KEY(band) REFERENCES band (name)
);
INSERT INTO "physical_filter" VALUES('Cam1','Cam1-g','g');
INSERT INTO "physical_filter" VALUES('Cam1','Cam1-r','r');
INSERT INTO "physical_filter" VALUES('Cam2','Cam2-r','r');
CREATE TABLE quantum (
	id CHAR(32) NOT NULL, 
	task VARCHAR(255) NOT NULL, 
	run VARCHAR(255) NOT NULL, 
	data_id TEXT, 
	status VARCHAR(16) NOT NULL, 
	started DATETIME, 
	ended DATETIME, 
	host VARCHAR(255), 
	metadata TEXT NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "quantum" VALUES('00b3cba70f194bd6bc3779ba66d12844','isr','u/alice/run1',NULL,'SUCCEEDED','2024-01-02 03:04:05.000000','2024-01-02 03:04:12.000000','node01','{"cpu_s": 6.5}');
INSERT INTO "quantum" VALUES('8826a3cbb80548639a24bfa92a98ff2d','coadd','u/alice/run2',NULL,'FAILED',NULL,NULL,NULL,'{"error": "out of memory"}');
CREATE TABLE quantum_input (
	quantum_id CHAR(32) NOT NULL, 
	position INTEGER NOT NULL, 
	dataset_id CHAR(32) NOT NULL, 
	PRIMARY KEY (quantum_id, position), 
	FOREIGN KEY(quantum_id) REFERENCES quantum (id) ON DELETE CASCADE
);
INSERT INTO "quantum_input" VALUES('8826a3cbb80548639a24bfa92a98ff2d',0,'383e8b517ee0481586baf7eb84d83bbd');
INSERT INTO "quantum_input" VALUES('8826a3cbb80548639a24bfa92a98ff2d',1,'ac4a3333e56b41ddb7d1592773fd3cb0');
INSERT INTO "quantum_input" VALUES('8826a3cbb80548639a24bfa92a98ff2d',2,'c15da9366db4410c98f57c3b5c16a701');
INSERT INTO "quantum_input" VALUES('8826a3cbb80548639a24bfa92a98ff2d',3,'7b09c5a51b434d2085e3d087a864c05c');
INSERT INTO "quantum_input" VALUES('8826a3cbb80548639a24bfa92a98ff2d',4,'af7135372ebf4ae5ac9cf3dfe6860db1');
INSERT INTO "quantum_input" VALUES('8826a3cbb80548639a24bfa92a98ff2d',5,'1c3d89060c3c4702a00017568aef579c');
INSERT INTO "quantum_input" VALUES('8826a3cbb80548639a24bfa92a98ff2d',6,'5e38f4e8459b4bc58a6a0fc865a96b0e');
INSERT INTO "quantum_input" VALUES('8826a3cbb80548639a24bfa92a98ff2d',7,'a329e915249345068bf01cc001401cb0');
CREATE TABLE quantum_output (
	quantum_id CHAR(32) NOT NULL, 
	position INTEGER NOT NULL, 
	dataset_id CHAR(32) NOT NULL, 
	PRIMARY KEY (quantum_id, position), 
	FOREIGN KEY(quantum_id) REFERENCES quantum (id) ON DELETE CASCADE
);
INSERT INTO "quantum_output" VALUES('00b3cba70f194bd6bc3779ba66d12844',0,'383e8b517ee0481586baf7eb84d83bbd');
INSERT INTO "quantum_output" VALUES('00b3cba70f194bd6bc3779ba66d12844',1,'ac4a3333e56b41ddb7d1592773fd3cb0');
INSERT INTO "quantum_output" VALUES('8826a3cbb80548639a24bfa92a98ff2d',0,'71bd65ce80f845699471a68fb2f6c5e0');
INSERT INTO "quantum_output" VALUES('8826a3cbb80548639a24bfa92a98ff2d',1,'fac5b203109041839b1736bf29916af6');
CREATE TABLE run (
	collection_id INTEGER NOT NULL, 
	PRIMARY KEY (collection_id), 
	FOREIGN KEY(collection_id) REFERENCES collection (id) ON DELETE CASCADE
);
INSERT INTO "run" VALUES(1);
INSERT INTO "run" VALUES(2);
CREATE TABLE skymap (
	name VARCHAR(64) NOT NULL, 
	hash VARCHAR(64), 
	tract_max BIGINT, 
	patch_nx_max BIGINT, 
	patch_ny_max BIGINT, 
	PRIMARY KEY (name)
);
INSERT INTO "skymap" VALUES('SkyMap1','0f1e2d',2,2,2);
CREATE TABLE tract (
	skymap VARCHAR(64) NOT NULL, 
	id BIGINT NOT NULL, 
	region TEXT, 
	PRIMARY KEY (skymap, id), 
	CONSTRAINT fk_tract_skymap FOREIGN KEY(skymap) REFERENCES skymap (name)
);
INSERT INTO "tract" VALUES('SkyMap1',0,'tract(0)');
INSERT INTO "tract" VALUES('SkyMap1',1,'tract(1)');
CREATE TABLE visit (
	instrument VARCHAR(32) NOT NULL, 
	id BIGINT NOT NULL, 
	physical_filter VARCHAR(32), 
	day_obs BIGINT, 
	name VARCHAR(64), 
	seq_num BIGINT, 
	exposure_time FLOAT, 
	target_name VARCHAR(64), 
	observation_reason VARCHAR(68), 
	science_program VARCHAR(64), 
	zenith_angle FLOAT, 
	timespan_begin DATETIME, 
	timespan_end DATETIME, 
	region TEXT, 
	PRIMARY KEY (instrument, id), 
	CONSTRAINT fk_visit_instrument FOREIGN KEY(instrument) REFERENCES instrument (name), 
	CONSTRAINT fk_visit_physical_filter FOREIGN KEY(instrument, physical_filter) REFERENCES physical_filter (instrument, name), 
	CONSTRAINT fk_visit_day_obs FOREIGN KEY(instrument, day_obs) REFERENCES day_obs (instrument, id)
);
INSERT INTO "visit" VALUES('Cam1',1,'Cam1-g',20240101,'visit1',NULL,30.0,'field1',NULL,NULL,NULL,'2024-01-01 22:01:00.000000','2024-01-01 22:01:30.000000','visit(Cam1,1)');
INSERT INTO "visit" VALUES('Cam1',2,'Cam1-g',20240101,'visit2',NULL,15.0,'field1',NULL,NULL,NULL,'2024-01-01 22:02:00.000000','2024-01-01 22:02:15.000000','visit(Cam1,2)');
INSERT INTO "visit" VALUES('Cam1',3,'Cam1-r',20240102,'visit3',NULL,30.0,'field2',NULL,NULL,NULL,'2024-01-02 22:03:00.000000','2024-01-02 22:03:30.000000','visit(Cam1,3)');
INSERT INTO "visit" VALUES('Cam1',4,'Cam1-r',20240102,'visit4',NULL,15.0,'field2',NULL,NULL,NULL,'2024-01-02 22:04:00.000000','2024-01-02 22:04:15.000000','visit(Cam1,4)');
INSERT INTO "visit" VALUES('Cam2',11,'Cam2-r',20240101,'visit11',NULL,30.0,'field1',NULL,NULL,NULL,'2024-01-01 22:11:00.000000','2024-01-01 22:11:30.000000','visit(Cam2,11)');
INSERT INTO "visit" VALUES('Cam2',12,'Cam2-r',20240101,'visit12',NULL,15.0,'field1',NULL,NULL,NULL,'2024-01-01 22:12:00.000000','2024-01-01 22:12:15.000000','visit(Cam2,12)');
INSERT INTO "visit" VALUES('Cam2',13,'Cam2-r',20240101,'visit13',NULL,30.0,'field2',NULL,NULL,NULL,'2024-01-01 22:13:00.000000','2024-01-01 22:13:30.000000','visit(Cam2,13)');
INSERT INTO "visit" VALUES('Cam2',14,'Cam2-r',20240101,'visit14',NULL,15.0,'field2',NULL,NULL,NULL,'2024-01-01 22:14:00.000000','2024-01-01 22:14:15.000000','visit(Cam2,14)');
CREATE TABLE visit_definition (
	instrument VARCHAR(32) NOT NULL, 
	exposure BIGINT NOT NULL, 
	visit BIGINT NOT NULL, 
	PRIMARY KEY (instrument, exposure, visit), 
	CONSTRAINT fk_visit_definition_exposure FOREIGN KEY(instrument, exposure) REFERENCES exposure (instrument, id), 
	CONSTRAINT fk_visit_definition_visit FOREIGN KEY(instrument, visit) REFERENCES visit (instrument, id)
);
INSERT INTO "visit_definition" VALUES('Cam1',101,1);
INSERT INTO "visit_definition" VALUES('Cam1',102,2);
INSERT INTO "visit_definition" VALUES('Cam1',103,3);
INSERT INTO "visit_definition" VALUES('Cam1',104,4);
INSERT INTO "visit_definition" VALUES('Cam2',201,11);
INSERT INTO "visit_definition" VALUES('Cam2',202,12);
INSERT INTO "visit_definition" VALUES('Cam2',203,13);
INSERT INTO "visit_definition" VALUES('Cam2',204,14);
CREATE TABLE visit_detector_region (
	instrument VARCHAR(32) NOT NULL, 
	detector BIGINT NOT NULL, 
	visit BIGINT NOT NULL, 
	region TEXT, 
	PRIMARY KEY (instrument, detector, visit), 
	CONSTRAINT fk_visit_detector_region_visit FOREIGN KEY(instrument, visit) REFERENCES visit (instrument, id), 
	CONSTRAINT fk_visit_detector_region_detector FOREIGN KEY(instrument, detector) REFERENCES detector (instrument, id)
);
INSERT INTO "visit_detector_region" VALUES('Cam1',1,1,'vdr(Cam1,1,1)');
INSERT INTO "visit_detector_region" VALUES('Cam1',2,1,'vdr(Cam1,1,2)');
INSERT INTO "visit_detector_region" VALUES('Cam1',3,1,'vdr(Cam1,1,3)');
INSERT INTO "visit_detector_region" VALUES('Cam1',4,1,'vdr(Cam1,1,4)');
INSERT INTO "visit_detector_region" VALUES('Cam1',1,2,'vdr(Cam1,2,1)');
INSERT INTO "visit_detector_region" VALUES('Cam1',2,2,'vdr(Cam1,2,2)');
INSERT INTO "visit_detector_region" VALUES('Cam1',3,2,'vdr(Cam1,2,3)');
INSERT INTO "visit_detector_region" VALUES('Cam1',4,2,'vdr(Cam1,2,4)');
INSERT INTO "visit_detector_region" VALUES('Cam1',1,3,'vdr(Cam1,3,1)');
INSERT INTO "visit_detector_region" VALUES('Cam1',2,3,'vdr(Cam1,3,2)');
INSERT INTO "visit_detector_region" VALUES('Cam1',3,3,'vdr(Cam1,3,3)');
INSERT INTO "visit_detector_region" VALUES('Cam1',4,3,'vdr(Cam1,3,4)');
INSERT INTO "visit_detector_region" VALUES('Cam1',1,4,'vdr(Cam1,4,1)');
INSERT INTO "visit_detector_region" VALUES('Cam1',2,4,'vdr(Cam1,4,2)');
INSERT INTO "visit_detector_region" VALUES('Cam1',3,4,'vdr(Cam1,4,3)');
INSERT INTO "visit_detector_region" VALUES('Cam1',4,4,'vdr(Cam1,4,4)');
INSERT INTO "visit_detector_region" VALUES('Cam2',1,11,'vdr(Cam2,11,1)');
INSERT INTO "visit_detector_region" VALUES('Cam2',2,11,'vdr(Cam2,11,2)');
INSERT INTO "visit_detector_region" VALUES('Cam2',3,11,'vdr(Cam2,11,3)');
INSERT INTO "visit_detector_region" VALUES('Cam2',4,11,'vdr(Cam2,11,4)');
INSERT INTO "visit_detector_region" VALUES('Cam2',1,12,'vdr(Cam2,12,1)');
INSERT INTO "visit_detector_region" VALUES('Cam2',2,12,'vdr(Cam2,12,2)');
INSERT INTO "visit_detector_region" VALUES('Cam2',3,12,'vdr(Cam2,12,3)');
INSERT INTO "visit_detector_region" VALUES('Cam2',4,12,'vdr(Cam2,12,4)');
INSERT INTO "visit_detector_region" VALUES('Cam2',1,13,'vdr(Cam2,13,1)');
INSERT INTO "visit_detector_region" VALUES('Cam2',2,13,'vdr(Cam2,13,2)');
INSERT INTO "visit_detector_region" VALUES('Cam2',3,13,'vdr(Cam2,13,3)');
INSERT INTO "visit_detector_region" VALUES('Cam2',4,13,'vdr(Cam2,13,4)');
INSERT INTO "visit_detector_region" VALUES('Cam2',1,14,'vdr(Cam2,14,1)');
INSERT INTO "visit_detector_region" VALUES('Cam2',2,14,'vdr(Cam2,14,2)');
INSERT INTO "visit_detector_region" VALUES('Cam2',3,14,'vdr(Cam2,14,3)');
INSERT INTO "visit_detector_region" VALUES('Cam2',4,14,'vdr(Cam2,14,4)');
CREATE TABLE visit_patch_overlap (
	instrument VARCHAR(32) NOT NULL, 
	visit BIGINT NOT NULL, 
	skymap VARCHAR(64) NOT NULL, 
	tract BIGINT NOT NULL, 
	patch BIGINT NOT NULL, 
	PRIMARY KEY (instrument, visit, skymap, tract, patch), 
	CONSTRAINT fk_visit_patch_overlap_visit FOREIGN KEY(instrument, visit) REFERENCES visit (instrument, id), 
	CONSTRAINT fk_visit_patch_overlap_patch FOREIGN KEY(skymap, tract, patch) REFERENCES patch (skymap, tract, id)
);
INSERT INTO "visit_patch_overlap" VALUES('Cam1',1,'SkyMap1',0,0);
INSERT INTO "visit_patch_overlap" VALUES('Cam1',1,'SkyMap1',0,1);
INSERT INTO "visit_patch_overlap" VALUES('Cam1',2,'SkyMap1',0,1);
INSERT INTO "visit_patch_overlap" VALUES('Cam1',2,'SkyMap1',0,2);
INSERT INTO "visit_patch_overlap" VALUES('Cam1',3,'SkyMap1',0,2);
INSERT INTO "visit_patch_overlap" VALUES('Cam1',3,'SkyMap1',0,3);
INSERT INTO "visit_patch_overlap" VALUES('Cam1',4,'SkyMap1',0,3);
INSERT INTO "visit_patch_overlap" VALUES('Cam1',4,'SkyMap1',1,0);
INSERT INTO "visit_patch_overlap" VALUES('Cam2',11,'SkyMap1',1,0);
INSERT INTO "visit_patch_overlap" VALUES('Cam2',11,'SkyMap1',1,1);
INSERT INTO "visit_patch_overlap" VALUES('Cam2',12,'SkyMap1',1,1);
INSERT INTO "visit_patch_overlap" VALUES('Cam2',12,'SkyMap1',1,2);
INSERT INTO "visit_patch_overlap" VALUES('Cam2',13,'SkyMap1',1,2);
INSERT INTO "visit_patch_overlap" VALUES('Cam2',13,'SkyMap1',1,3);
INSERT INTO "visit_patch_overlap" VALUES('Cam2',14,'SkyMap1',1,3);
INSERT INTO "visit_patch_overlap" VALUES('Cam2',14,'SkyMap1',0,0);
CREATE INDEX ix_quantum_run ON quantum (run);
CREATE INDEX ix_quantum_task ON quantum (task);
CREATE INDEX ix_collection_chain_child ON collection_chain (child);
CREATE INDEX ix_quantum_input_dataset_id ON quantum_input (dataset_id);
CREATE INDEX ix_quantum_output_dataset_id ON quantum_output (dataset_id);
CREATE INDEX ix_dataset_find ON dataset (dataset_type_id, data_id_key);
CREATE INDEX ix_dataset_run ON dataset (run_id);
CREATE INDEX ix_dataset_tag_dataset_id ON dataset_tag (dataset_id);
CREATE VIEW v_collection AS SELECT collection.name, collection.kind, collection.doc 
FROM collection;
CREATE VIEW v_collection_chain AS SELECT parent.name AS parent, collection_chain.position, child.name AS child 
FROM collection_chain JOIN collection AS parent ON collection_chain.parent = parent.id JOIN collection AS child ON collection_chain.child = child.id;
CREATE VIEW v_dataset_type AS SELECT dataset_type.name, dataset_type.units, dataset_type.storage_class 
FROM dataset_type;
CREATE VIEW v_dataset AS SELECT dataset.id, dataset_type.name AS dataset_type, run_collection.name AS run, dataset.instrument, dataset.band, dataset.physical_filter, dataset.detector, dataset.day_obs, dataset.exposure, dataset.visit, dataset.skymap, dataset.tract, dataset.patch 
FROM dataset JOIN dataset_type ON dataset.dataset_type_id = dataset_type.id JOIN collection AS run_collection ON dataset.run_id = run_collection.id;
CREATE VIEW v_dataset_tag AS SELECT tag_collection.name AS collection, dataset_tag.dataset_id 
FROM dataset_tag JOIN collection AS tag_collection ON dataset_tag.collection_id = tag_collection.id;
CREATE VIEW v_dataset_artifact AS SELECT dataset_artifact.dataset_id, dataset_artifact.component, dataset_artifact.uri, dataset_artifact.formatter, dataset_artifact.storage_class, dataset_artifact.checksum, dataset_artifact.size 
FROM dataset_artifact;
CREATE VIEW v_instrument AS SELECT instrument.name, instrument.visit_max, instrument.exposure_max, instrument.detector_max, instrument.visit_system, instrument.class_name 
FROM instrument;
CREATE VIEW v_band AS SELECT band.name 
FROM band;
CREATE VIEW v_physical_filter AS SELECT physical_filter.instrument, physical_filter.name, physical_filter.band 
FROM physical_filter;
CREATE VIEW v_detector AS SELECT detector.instrument, detector.id, detector.full_name, detector.name_in_raft, detector.raft, detector.purpose 
FROM detector;
CREATE VIEW v_day_obs AS SELECT day_obs.instrument, day_obs.id, day_obs.timespan_begin, day_obs.timespan_end 
FROM day_obs;
CREATE VIEW v_exposure AS SELECT exposure.instrument, exposure.id, exposure.physical_filter, exposure.day_obs, exposure.obs_id, exposure."group", exposure.exposure_time, exposure.dark_time, exposure.observation_type, exposure.observation_reason, exposure.science_program, exposure.target_name, exposure.seq_num, exposure.zenith_angle, exposure.timespan_begin, exposure.timespan_end 
FROM exposure;
CREATE VIEW v_visit AS SELECT visit.instrument, visit.id, visit.physical_filter, visit.day_obs, visit.name, visit.seq_num, visit.exposure_time, visit.target_name, visit.observation_reason, visit.science_program, visit.zenith_angle, visit.timespan_begin, visit.timespan_end, visit.region 
FROM visit;
CREATE VIEW v_skymap AS SELECT skymap.name, skymap.hash, skymap.tract_max, skymap.patch_nx_max, skymap.patch_ny_max 
FROM skymap;
CREATE VIEW v_tract AS SELECT tract.skymap, tract.id, tract.region 
FROM tract;
CREATE VIEW v_patch AS SELECT patch.skymap, patch.tract, patch.id, patch.cell_x, patch.cell_y, patch.region 
FROM patch;
CREATE VIEW v_visit_detector_region AS SELECT visit_detector_region.instrument, visit_detector_region.detector, visit_detector_region.visit, visit_detector_region.region 
FROM visit_detector_region;
CREATE VIEW v_visit_definition AS SELECT visit_definition.instrument, visit_definition.exposure, visit_definition.visit 
FROM visit_definition;
CREATE VIEW v_visit_patch_overlap AS SELECT visit_patch_overlap.instrument, visit_patch_overlap.visit, visit_patch_overlap.skymap, visit_patch_overlap.tract, visit_patch_overlap.patch 
FROM visit_patch_overlap;
CREATE INDEX ix_visit_detector_region_visit ON visit_detector_region (instrument, visit);
CREATE INDEX ix_visit_definition_visit ON visit_definition (instrument, visit);
CREATE INDEX ix_visit_patch_overlap_patch ON visit_patch_overlap (skymap, tract, patch);
CREATE INDEX ix_dataset_unit_detector ON dataset (detector) WHERE detector IS NOT NULL;
CREATE INDEX ix_dataset_unit_exposure ON dataset (exposure) WHERE exposure IS NOT NULL;
CREATE INDEX ix_dataset_unit_visit ON dataset (visit) WHERE visit IS NOT NULL;
CREATE INDEX ix_dataset_unit_tract ON dataset (tract) WHERE tract IS NOT NULL;
CREATE INDEX ix_dataset_unit_patch ON dataset (patch) WHERE patch IS NOT NULL;
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('dataset_type',3);
INSERT INTO "sqlite_sequence" VALUES('collection',5);
COMMIT;

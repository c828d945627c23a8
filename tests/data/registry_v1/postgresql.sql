--
-- PostgreSQL database dump
--

\restrict JhAlCnCcnm5jESzec1Li24maqYQFh0esRD7yOcosg7aHHOq5nQPvfBQmLWArJOc

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: registry_v1; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA registry_v1;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: band; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.band (
    name character varying(32) NOT NULL COLLATE pg_catalog."C"
);


--
-- Name: TABLE band; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON TABLE registry_v1.band IS 'An abstract filter (u, g, r...), filled in from physical_filter records.';


--
-- Name: collection; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.collection (
    id integer NOT NULL,
    name character varying(255) NOT NULL COLLATE pg_catalog."C",
    kind character varying(16) NOT NULL,
    doc text NOT NULL
);


--
-- Name: collection_chain; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.collection_chain (
    parent integer NOT NULL,
    "position" integer NOT NULL,
    child integer NOT NULL
);


--
-- Name: collection_id_seq; Type: SEQUENCE; Schema: registry_v1; Owner: -
--

CREATE SEQUENCE registry_v1.collection_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: collection_id_seq; Type: SEQUENCE OWNED BY; Schema: registry_v1; Owner: -
--

ALTER SEQUENCE registry_v1.collection_id_seq OWNED BY registry_v1.collection.id;


--
-- Name: dataset; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.dataset (
    id uuid NOT NULL,
    dataset_type_id integer NOT NULL,
    run_id integer NOT NULL,
    data_id_key character varying NOT NULL COLLATE pg_catalog."C",
    instrument character varying(32) COLLATE pg_catalog."C",
    band character varying(32) COLLATE pg_catalog."C",
    physical_filter character varying(32) COLLATE pg_catalog."C",
    detector bigint,
    day_obs bigint,
    exposure bigint,
    visit bigint,
    skymap character varying(64) COLLATE pg_catalog."C",
    tract bigint,
    patch bigint
);


--
-- Name: dataset_artifact; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.dataset_artifact (
    dataset_id uuid NOT NULL,
    component character varying(64) NOT NULL,
    uri text NOT NULL,
    formatter character varying(255) NOT NULL,
    storage_class character varying(128) NOT NULL,
    checksum character varying(128),
    size bigint
);


--
-- Name: dataset_tag; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.dataset_tag (
    collection_id integer NOT NULL,
    dataset_type_id integer NOT NULL,
    data_id_key character varying NOT NULL COLLATE pg_catalog."C",
    dataset_id uuid NOT NULL
);


--
-- Name: dataset_type; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.dataset_type (
    id integer NOT NULL,
    name character varying(128) NOT NULL COLLATE pg_catalog."C",
    units text NOT NULL,
    storage_class character varying(128) NOT NULL
);


--
-- Name: dataset_type_id_seq; Type: SEQUENCE; Schema: registry_v1; Owner: -
--

CREATE SEQUENCE registry_v1.dataset_type_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: dataset_type_id_seq; Type: SEQUENCE OWNED BY; Schema: registry_v1; Owner: -
--

ALTER SEQUENCE registry_v1.dataset_type_id_seq OWNED BY registry_v1.dataset_type.id;


--
-- Name: day_obs; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.day_obs (
    instrument character varying(32) NOT NULL COLLATE pg_catalog."C",
    id bigint NOT NULL,
    timespan_begin timestamp without time zone,
    timespan_end timestamp without time zone
);


--
-- Name: TABLE day_obs; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON TABLE registry_v1.day_obs IS 'An observing night of an instrument.';


--
-- Name: COLUMN day_obs.instrument; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.day_obs.instrument IS 'key of instrument';


--
-- Name: detector; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.detector (
    instrument character varying(32) NOT NULL COLLATE pg_catalog."C",
    id bigint NOT NULL,
    full_name character varying(32) COLLATE pg_catalog."C",
    name_in_raft character varying(32) COLLATE pg_catalog."C",
    raft character varying(32) COLLATE pg_catalog."C",
    purpose character varying(32) COLLATE pg_catalog."C"
);


--
-- Name: TABLE detector; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON TABLE registry_v1.detector IS 'One sensor of an instrument.';


--
-- Name: COLUMN detector.instrument; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.detector.instrument IS 'key of instrument';


--
-- Name: exposure; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.exposure (
    instrument character varying(32) NOT NULL COLLATE pg_catalog."C",
    id bigint NOT NULL,
    physical_filter character varying(32) COLLATE pg_catalog."C",
    day_obs bigint,
    obs_id character varying(64) COLLATE pg_catalog."C",
    "group" character varying(64) COLLATE pg_catalog."C",
    exposure_time double precision,
    dark_time double precision,
    observation_type character varying(16) COLLATE pg_catalog."C",
    observation_reason character varying(68) COLLATE pg_catalog."C",
    science_program character varying(64) COLLATE pg_catalog."C",
    target_name character varying(64) COLLATE pg_catalog."C",
    seq_num bigint,
    zenith_angle double precision,
    timespan_begin timestamp without time zone,
    timespan_end timestamp without time zone
);


--
-- Name: TABLE exposure; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON TABLE registry_v1.exposure IS 'One exposure of the whole camera.';


--
-- Name: COLUMN exposure.instrument; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.exposure.instrument IS 'key of instrument';


--
-- Name: COLUMN exposure.physical_filter; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.exposure.physical_filter IS 'implied physical_filter';


--
-- Name: COLUMN exposure.day_obs; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.exposure.day_obs IS 'implied day_obs';


--
-- Name: instrument; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.instrument (
    name character varying(32) NOT NULL COLLATE pg_catalog."C",
    visit_max bigint,
    exposure_max bigint,
    detector_max bigint,
    visit_system bigint,
    class_name character varying(64) COLLATE pg_catalog."C"
);


--
-- Name: TABLE instrument; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON TABLE registry_v1.instrument IS 'A camera; several may share one registry.';


--
-- Name: meta; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.meta (
    key character varying(64) NOT NULL,
    value text NOT NULL
);


--
-- Name: patch; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.patch (
    skymap character varying(64) NOT NULL COLLATE pg_catalog."C",
    tract bigint NOT NULL,
    id bigint NOT NULL,
    cell_x bigint,
    cell_y bigint,
    region text
);


--
-- Name: TABLE patch; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON TABLE registry_v1.patch IS 'A region of a tract.';


--
-- Name: COLUMN patch.skymap; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.patch.skymap IS 'key of skymap';


--
-- Name: COLUMN patch.tract; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.patch.tract IS 'key of tract';


--
-- Name: physical_filter; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.physical_filter (
    instrument character varying(32) NOT NULL COLLATE pg_catalog."C",
    name character varying(32) NOT NULL COLLATE pg_catalog."C",
    band character varying(32) COLLATE pg_catalog."C"
);


--
-- Name: TABLE physical_filter; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON TABLE registry_v1.physical_filter IS 'A filter of one instrument.';


--
-- Name: COLUMN physical_filter.instrument; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.physical_filter.instrument IS 'key of instrument';


--
-- Name: COLUMN physical_filter.band; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.physical_filter.band IS 'implied band';


--
-- Name: quantum; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.quantum (
    id uuid NOT NULL,
    task character varying(255) NOT NULL,
    run character varying(255) NOT NULL,
    data_id text,
    status character varying(16) NOT NULL,
    started timestamp without time zone,
    ended timestamp without time zone,
    host character varying(255),
    metadata text NOT NULL
);


--
-- Name: quantum_input; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.quantum_input (
    quantum_id uuid NOT NULL,
    "position" integer NOT NULL,
    dataset_id uuid NOT NULL
);


--
-- Name: quantum_output; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.quantum_output (
    quantum_id uuid NOT NULL,
    "position" integer NOT NULL,
    dataset_id uuid NOT NULL
);


--
-- Name: run; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.run (
    collection_id integer NOT NULL
);


--
-- Name: skymap; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.skymap (
    name character varying(64) NOT NULL COLLATE pg_catalog."C",
    hash character varying(64) COLLATE pg_catalog."C",
    tract_max bigint,
    patch_nx_max bigint,
    patch_ny_max bigint
);


--
-- Name: TABLE skymap; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON TABLE registry_v1.skymap IS 'A tessellation of the sky into tracts and patches.';


--
-- Name: tract; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.tract (
    skymap character varying(64) NOT NULL COLLATE pg_catalog."C",
    id bigint NOT NULL,
    region text
);


--
-- Name: TABLE tract; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON TABLE registry_v1.tract IS 'A region of a skymap.';


--
-- Name: COLUMN tract.skymap; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.tract.skymap IS 'key of skymap';


--
-- Name: v_band; Type: VIEW; Schema: registry_v1; Owner: -
--

CREATE VIEW registry_v1.v_band AS
 SELECT band.name
   FROM registry_v1.band;


--
-- Name: v_collection; Type: VIEW; Schema: registry_v1; Owner: -
--

CREATE VIEW registry_v1.v_collection AS
 SELECT collection.name,
    collection.kind,
    collection.doc
   FROM registry_v1.collection;


--
-- Name: v_collection_chain; Type: VIEW; Schema: registry_v1; Owner: -
--

CREATE VIEW registry_v1.v_collection_chain AS
 SELECT parent.name AS parent,
    collection_chain."position",
    child.name AS child
   FROM ((registry_v1.collection_chain
     JOIN registry_v1.collection parent ON ((collection_chain.parent = parent.id)))
     JOIN registry_v1.collection child ON ((collection_chain.child = child.id)));


--
-- Name: v_dataset; Type: VIEW; Schema: registry_v1; Owner: -
--

CREATE VIEW registry_v1.v_dataset AS
 SELECT dataset.id,
    dataset_type.name AS dataset_type,
    run_collection.name AS run,
    dataset.instrument,
    dataset.band,
    dataset.physical_filter,
    dataset.detector,
    dataset.day_obs,
    dataset.exposure,
    dataset.visit,
    dataset.skymap,
    dataset.tract,
    dataset.patch
   FROM ((registry_v1.dataset
     JOIN registry_v1.dataset_type ON ((dataset.dataset_type_id = dataset_type.id)))
     JOIN registry_v1.collection run_collection ON ((dataset.run_id = run_collection.id)));


--
-- Name: v_dataset_artifact; Type: VIEW; Schema: registry_v1; Owner: -
--

CREATE VIEW registry_v1.v_dataset_artifact AS
 SELECT dataset_artifact.dataset_id,
    dataset_artifact.component,
    dataset_artifact.uri,
    dataset_artifact.formatter,
    dataset_artifact.storage_class,
    dataset_artifact.checksum,
    dataset_artifact.size
   FROM registry_v1.dataset_artifact;


--
-- Name: v_dataset_tag; Type: VIEW; Schema: registry_v1; Owner: -
--

CREATE VIEW registry_v1.v_dataset_tag AS
 SELECT tag_collection.name AS collection,
    dataset_tag.dataset_id
   FROM (registry_v1.dataset_tag
     JOIN registry_v1.collection tag_collection ON ((dataset_tag.collection_id = tag_collection.id)));


--
-- Name: v_dataset_type; Type: VIEW; Schema: registry_v1; Owner: -
--

CREATE VIEW registry_v1.v_dataset_type AS
 SELECT dataset_type.name,
    dataset_type.units,
    dataset_type.storage_class
   FROM registry_v1.dataset_type;


--
-- Name: v_day_obs; Type: VIEW; Schema: registry_v1; Owner: -
--

CREATE VIEW registry_v1.v_day_obs AS
 SELECT day_obs.instrument,
    day_obs.id,
    day_obs.timespan_begin,
    day_obs.timespan_end
   FROM registry_v1.day_obs;


--
-- Name: v_detector; Type: VIEW; Schema: registry_v1; Owner: -
--

CREATE VIEW registry_v1.v_detector AS
 SELECT detector.instrument,
    detector.id,
    detector.full_name,
    detector.name_in_raft,
    detector.raft,
    detector.purpose
   FROM registry_v1.detector;


--
-- Name: v_exposure; Type: VIEW; Schema: registry_v1; Owner: -
--

CREATE VIEW registry_v1.v_exposure AS
 SELECT exposure.instrument,
    exposure.id,
    exposure.physical_filter,
    exposure.day_obs,
    exposure.obs_id,
    exposure."group",
    exposure.exposure_time,
    exposure.dark_time,
    exposure.observation_type,
    exposure.observation_reason,
    exposure.science_program,
    exposure.target_name,
    exposure.seq_num,
    exposure.zenith_angle,
    exposure.timespan_begin,
    exposure.timespan_end
   FROM registry_v1.exposure;


--
-- Name: v_instrument; Type: VIEW; Schema: registry_v1; Owner: -
--

CREATE VIEW registry_v1.v_instrument AS
 SELECT instrument.name,
    instrument.visit_max,
    instrument.exposure_max,
    instrument.detector_max,
    instrument.visit_system,
    instrument.class_name
   FROM registry_v1.instrument;


--
-- Name: v_patch; Type: VIEW; Schema: registry_v1; Owner: -
--

CREATE VIEW registry_v1.v_patch AS
 SELECT patch.skymap,
    patch.tract,
    patch.id,
    patch.cell_x,
    patch.cell_y,
    patch.region
   FROM registry_v1.patch;


--
-- Name: v_physical_filter; Type: VIEW; Schema: registry_v1; Owner: -
--

CREATE VIEW registry_v1.v_physical_filter AS
 SELECT physical_filter.instrument,
    physical_filter.name,
    physical_filter.band
   FROM registry_v1.physical_filter;


--
-- Name: v_skymap; Type: VIEW; Schema: registry_v1; Owner: -
--

CREATE VIEW registry_v1.v_skymap AS
 SELECT skymap.name,
    skymap.hash,
    skymap.tract_max,
    skymap.patch_nx_max,
    skymap.patch_ny_max
   FROM registry_v1.skymap;


--
-- Name: v_tract; Type: VIEW; Schema: registry_v1; Owner: -
--

CREATE VIEW registry_v1.v_tract AS
 SELECT tract.skymap,
    tract.id,
    tract.region
   FROM registry_v1.tract;


--
-- Name: visit; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.visit (
    instrument character varying(32) NOT NULL COLLATE pg_catalog."C",
    id bigint NOT NULL,
    physical_filter character varying(32) COLLATE pg_catalog."C",
    day_obs bigint,
    name character varying(64) COLLATE pg_catalog."C",
    seq_num bigint,
    exposure_time double precision,
    target_name character varying(64) COLLATE pg_catalog."C",
    observation_reason character varying(68) COLLATE pg_catalog."C",
    science_program character varying(64) COLLATE pg_catalog."C",
    zenith_angle double precision,
    timespan_begin timestamp without time zone,
    timespan_end timestamp without time zone,
    region text
);


--
-- Name: TABLE visit; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON TABLE registry_v1.visit IS 'A sequence of exposures processed together.';


--
-- Name: COLUMN visit.instrument; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.visit.instrument IS 'key of instrument';


--
-- Name: COLUMN visit.physical_filter; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.visit.physical_filter IS 'implied physical_filter';


--
-- Name: COLUMN visit.day_obs; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.visit.day_obs IS 'implied day_obs';


--
-- Name: v_visit; Type: VIEW; Schema: registry_v1; Owner: -
--

CREATE VIEW registry_v1.v_visit AS
 SELECT visit.instrument,
    visit.id,
    visit.physical_filter,
    visit.day_obs,
    visit.name,
    visit.seq_num,
    visit.exposure_time,
    visit.target_name,
    visit.observation_reason,
    visit.science_program,
    visit.zenith_angle,
    visit.timespan_begin,
    visit.timespan_end,
    visit.region
   FROM registry_v1.visit;


--
-- Name: visit_definition; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.visit_definition (
    instrument character varying(32) NOT NULL COLLATE pg_catalog."C",
    exposure bigint NOT NULL,
    visit bigint NOT NULL
);


--
-- Name: TABLE visit_definition; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON TABLE registry_v1.visit_definition IS 'Which exposures make up which visit.';


--
-- Name: COLUMN visit_definition.instrument; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.visit_definition.instrument IS 'key of instrument';


--
-- Name: COLUMN visit_definition.exposure; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.visit_definition.exposure IS 'key of exposure';


--
-- Name: COLUMN visit_definition.visit; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.visit_definition.visit IS 'key of visit';


--
-- Name: v_visit_definition; Type: VIEW; Schema: registry_v1; Owner: -
--

CREATE VIEW registry_v1.v_visit_definition AS
 SELECT visit_definition.instrument,
    visit_definition.exposure,
    visit_definition.visit
   FROM registry_v1.visit_definition;


--
-- Name: visit_detector_region; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.visit_detector_region (
    instrument character varying(32) NOT NULL COLLATE pg_catalog."C",
    detector bigint NOT NULL,
    visit bigint NOT NULL,
    region text
);


--
-- Name: TABLE visit_detector_region; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON TABLE registry_v1.visit_detector_region IS 'The region of sky one detector saw in one visit.';


--
-- Name: COLUMN visit_detector_region.instrument; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.visit_detector_region.instrument IS 'key of instrument';


--
-- Name: COLUMN visit_detector_region.detector; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.visit_detector_region.detector IS 'key of detector';


--
-- Name: COLUMN visit_detector_region.visit; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.visit_detector_region.visit IS 'key of visit';


--
-- Name: v_visit_detector_region; Type: VIEW; Schema: registry_v1; Owner: -
--

CREATE VIEW registry_v1.v_visit_detector_region AS
 SELECT visit_detector_region.instrument,
    visit_detector_region.detector,
    visit_detector_region.visit,
    visit_detector_region.region
   FROM registry_v1.visit_detector_region;


--
-- Name: visit_patch_overlap; Type: TABLE; Schema: registry_v1; Owner: -
--

CREATE TABLE registry_v1.visit_patch_overlap (
    instrument character varying(32) NOT NULL COLLATE pg_catalog."C",
    visit bigint NOT NULL,
    skymap character varying(64) NOT NULL COLLATE pg_catalog."C",
    tract bigint NOT NULL,
    patch bigint NOT NULL
);


--
-- Name: TABLE visit_patch_overlap; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON TABLE registry_v1.visit_patch_overlap IS 'Which patches a visit overlaps.';


--
-- Name: COLUMN visit_patch_overlap.instrument; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.visit_patch_overlap.instrument IS 'key of instrument';


--
-- Name: COLUMN visit_patch_overlap.visit; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.visit_patch_overlap.visit IS 'key of visit';


--
-- Name: COLUMN visit_patch_overlap.skymap; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.visit_patch_overlap.skymap IS 'key of skymap';


--
-- Name: COLUMN visit_patch_overlap.tract; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.visit_patch_overlap.tract IS 'key of tract';


--
-- Name: COLUMN visit_patch_overlap.patch; Type: COMMENT; Schema: registry_v1; Owner: -
--

COMMENT ON COLUMN registry_v1.visit_patch_overlap.patch IS 'key of patch';


--
-- Name: v_visit_patch_overlap; Type: VIEW; Schema: registry_v1; Owner: -
--

CREATE VIEW registry_v1.v_visit_patch_overlap AS
 SELECT visit_patch_overlap.instrument,
    visit_patch_overlap.visit,
    visit_patch_overlap.skymap,
    visit_patch_overlap.tract,
    visit_patch_overlap.patch
   FROM registry_v1.visit_patch_overlap;


--
-- Name: collection id; Type: DEFAULT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.collection ALTER COLUMN id SET DEFAULT nextval('registry_v1.collection_id_seq'::regclass);


--
-- Name: dataset_type id; Type: DEFAULT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.dataset_type ALTER COLUMN id SET DEFAULT nextval('registry_v1.dataset_type_id_seq'::regclass);


--
-- Data for Name: band; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.band VALUES ('r');
INSERT INTO registry_v1.band VALUES ('g');


--
-- Data for Name: collection; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.collection VALUES (1, 'u/alice/run1', 'RUN', 'first run');
INSERT INTO registry_v1.collection VALUES (2, 'u/alice/run2', 'RUN', '');
INSERT INTO registry_v1.collection VALUES (3, 'u/alice/best', 'TAGGED', 'hand-picked');
INSERT INTO registry_v1.collection VALUES (4, 'u/alice/all', 'CHAINED', '');
INSERT INTO registry_v1.collection VALUES (5, 'empty/chain', 'CHAINED', '');


--
-- Data for Name: collection_chain; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.collection_chain VALUES (4, 0, 3);
INSERT INTO registry_v1.collection_chain VALUES (4, 1, 2);
INSERT INTO registry_v1.collection_chain VALUES (4, 2, 1);


--
-- Data for Name: dataset; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.dataset VALUES ('812dcc5a-ef67-4531-bdd0-2274a9ce2738', 1, 1, '["Cam1",1,1]', 'Cam1', 'g', 'Cam1-g', 1, 20240101, NULL, 1, NULL, NULL, NULL);
INSERT INTO registry_v1.dataset VALUES ('73f1d496-7184-4dd7-96b5-60236ed78554', 1, 1, '["Cam1",1,2]', 'Cam1', 'g', 'Cam1-g', 1, 20240101, NULL, 2, NULL, NULL, NULL);
INSERT INTO registry_v1.dataset VALUES ('b38281e3-e012-4f81-a122-855b6116cfdc', 1, 1, '["Cam1",1,3]', 'Cam1', 'r', 'Cam1-r', 1, 20240102, NULL, 3, NULL, NULL, NULL);
INSERT INTO registry_v1.dataset VALUES ('0f576a8a-176f-439f-a310-7d49f7706d4c', 1, 1, '["Cam1",1,4]', 'Cam1', 'r', 'Cam1-r', 1, 20240102, NULL, 4, NULL, NULL, NULL);
INSERT INTO registry_v1.dataset VALUES ('ec986e56-edcc-405e-a955-b820e0fa9096', 1, 1, '["Cam1",2,1]', 'Cam1', 'g', 'Cam1-g', 2, 20240101, NULL, 1, NULL, NULL, NULL);
INSERT INTO registry_v1.dataset VALUES ('ee8d4606-99ab-46aa-bb98-c0816a3b0c85', 1, 1, '["Cam1",2,2]', 'Cam1', 'g', 'Cam1-g', 2, 20240101, NULL, 2, NULL, NULL, NULL);
INSERT INTO registry_v1.dataset VALUES ('5e987119-c15f-478b-a0fb-c6fd8be8d34a', 1, 1, '["Cam1",2,3]', 'Cam1', 'r', 'Cam1-r', 2, 20240102, NULL, 3, NULL, NULL, NULL);
INSERT INTO registry_v1.dataset VALUES ('dda227a7-975d-4705-b688-e46f7cf9ef5c', 1, 1, '["Cam1",2,4]', 'Cam1', 'r', 'Cam1-r', 2, 20240102, NULL, 4, NULL, NULL, NULL);
INSERT INTO registry_v1.dataset VALUES ('1d0f2d96-31d9-4cbe-8835-d62846f27448', 2, 2, '["g","SkyMap1",0,0]', NULL, 'g', NULL, NULL, NULL, NULL, NULL, 'SkyMap1', 0, 0);
INSERT INTO registry_v1.dataset VALUES ('601da83d-3fd2-482c-8b1f-75428a2b1ed5', 2, 2, '["g","SkyMap1",0,1]', NULL, 'g', NULL, NULL, NULL, NULL, NULL, 'SkyMap1', 0, 1);


--
-- Data for Name: dataset_artifact; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.dataset_artifact VALUES ('812dcc5a-ef67-4531-bdd0-2274a9ce2738', '', 'u/alice/run1/calexp/812dcc5a-ef67-4531-bdd0-2274a9ce2738.json', 'databutler.JsonFormatter', 'StructuredData', 'sha256:07531f023a5f5e7bb0fd7b75870a6cc307531f023a5f5e7bb0fd7b75870a6cc3', 100);
INSERT INTO registry_v1.dataset_artifact VALUES ('ec986e56-edcc-405e-a955-b820e0fa9096', '', 'u/alice/run1/calexp/ec986e56-edcc-405e-a955-b820e0fa9096.json', 'databutler.JsonFormatter', 'StructuredData', 'sha256:fa0e18e4aa1a56939034d6c2b884eb18fa0e18e4aa1a56939034d6c2b884eb18', 101);
INSERT INTO registry_v1.dataset_artifact VALUES ('73f1d496-7184-4dd7-96b5-60236ed78554', '', 'u/alice/run1/calexp/73f1d496-7184-4dd7-96b5-60236ed78554.json', 'databutler.JsonFormatter', 'StructuredData', 'sha256:a03002763e425794b0dc8a005ea79eb8a03002763e425794b0dc8a005ea79eb8', 102);
INSERT INTO registry_v1.dataset_artifact VALUES ('ee8d4606-99ab-46aa-bb98-c0816a3b0c85', '', 'u/alice/run1/calexp/ee8d4606-99ab-46aa-bb98-c0816a3b0c85.json', 'databutler.JsonFormatter', 'StructuredData', 'sha256:30fdae2471e9515aab0f25384fc35f3930fdae2471e9515aab0f25384fc35f39', 103);
INSERT INTO registry_v1.dataset_artifact VALUES ('b38281e3-e012-4f81-a122-855b6116cfdc', '', 'u/alice/run1/calexp/b38281e3-e012-4f81-a122-855b6116cfdc.json', 'databutler.JsonFormatter', 'StructuredData', 'sha256:8dd96cdee9895f179d2b3c9cdc26ea758dd96cdee9895f179d2b3c9cdc26ea75', 104);
INSERT INTO registry_v1.dataset_artifact VALUES ('5e987119-c15f-478b-a0fb-c6fd8be8d34a', '', 'u/alice/run1/calexp/5e987119-c15f-478b-a0fb-c6fd8be8d34a.json', 'databutler.JsonFormatter', 'StructuredData', 'sha256:19378cdec28d59ff962bf917e17ba2a019378cdec28d59ff962bf917e17ba2a0', 105);
INSERT INTO registry_v1.dataset_artifact VALUES ('0f576a8a-176f-439f-a310-7d49f7706d4c', '', 'u/alice/run1/calexp/0f576a8a-176f-439f-a310-7d49f7706d4c.json', 'databutler.JsonFormatter', 'StructuredData', 'sha256:2dee04acf12c58eebfb5f93ba16a19582dee04acf12c58eebfb5f93ba16a1958', 106);
INSERT INTO registry_v1.dataset_artifact VALUES ('dda227a7-975d-4705-b688-e46f7cf9ef5c', '', 'u/alice/run1/calexp/dda227a7-975d-4705-b688-e46f7cf9ef5c.json', 'databutler.JsonFormatter', 'StructuredData', 'sha256:118410401e3f59bb8ff19a1aa14279e1118410401e3f59bb8ff19a1aa14279e1', 107);
INSERT INTO registry_v1.dataset_artifact VALUES ('1d0f2d96-31d9-4cbe-8835-d62846f27448', 'image', 'u/alice/run2/coadd/1d0f2d96-31d9-4cbe-8835-d62846f27448_image.json', 'databutler.JsonFormatter', 'StructuredData', NULL, NULL);
INSERT INTO registry_v1.dataset_artifact VALUES ('1d0f2d96-31d9-4cbe-8835-d62846f27448', 'mask', 'u/alice/run2/coadd/1d0f2d96-31d9-4cbe-8835-d62846f27448_mask.json', 'databutler.JsonFormatter', 'StructuredData', NULL, NULL);
INSERT INTO registry_v1.dataset_artifact VALUES ('601da83d-3fd2-482c-8b1f-75428a2b1ed5', 'image', 'u/alice/run2/coadd/601da83d-3fd2-482c-8b1f-75428a2b1ed5_image.json', 'databutler.JsonFormatter', 'StructuredData', NULL, NULL);
INSERT INTO registry_v1.dataset_artifact VALUES ('601da83d-3fd2-482c-8b1f-75428a2b1ed5', 'mask', 'u/alice/run2/coadd/601da83d-3fd2-482c-8b1f-75428a2b1ed5_mask.json', 'databutler.JsonFormatter', 'StructuredData', NULL, NULL);


--
-- Data for Name: dataset_tag; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.dataset_tag VALUES (3, 1, '["Cam1",1,1]', '812dcc5a-ef67-4531-bdd0-2274a9ce2738');
INSERT INTO registry_v1.dataset_tag VALUES (3, 1, '["Cam1",2,1]', 'ec986e56-edcc-405e-a955-b820e0fa9096');
INSERT INTO registry_v1.dataset_tag VALUES (3, 1, '["Cam1",1,2]', '73f1d496-7184-4dd7-96b5-60236ed78554');
INSERT INTO registry_v1.dataset_tag VALUES (3, 2, '["g","SkyMap1",0,0]', '1d0f2d96-31d9-4cbe-8835-d62846f27448');


--
-- Data for Name: dataset_type; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.dataset_type VALUES (1, 'calexp', '["instrument", "detector", "visit"]', 'StructuredData');
INSERT INTO registry_v1.dataset_type VALUES (2, 'coadd', '["band", "skymap", "tract", "patch"]', 'StructuredData');
INSERT INTO registry_v1.dataset_type VALUES (3, 'unused', '["instrument"]', 'NumpyArray');


--
-- Data for Name: day_obs; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.day_obs VALUES ('Cam1', 20240101, '2024-01-01 00:00:00', '2024-01-02 00:00:00');
INSERT INTO registry_v1.day_obs VALUES ('Cam1', 20240102, '2024-01-02 00:00:00', '2024-01-03 00:00:00');
INSERT INTO registry_v1.day_obs VALUES ('Cam2', 20240101, '2024-01-01 00:00:00', '2024-01-02 00:00:00');


--
-- Data for Name: detector; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.detector VALUES ('Cam1', 1, 'S00', NULL, NULL, 'SCIENCE');
INSERT INTO registry_v1.detector VALUES ('Cam1', 2, 'S01', NULL, NULL, 'SCIENCE');
INSERT INTO registry_v1.detector VALUES ('Cam1', 3, 'S02', NULL, NULL, 'SCIENCE');
INSERT INTO registry_v1.detector VALUES ('Cam1', 4, 'S03', NULL, NULL, 'SCIENCE');
INSERT INTO registry_v1.detector VALUES ('Cam2', 1, 'S00', NULL, NULL, 'SCIENCE');
INSERT INTO registry_v1.detector VALUES ('Cam2', 2, 'S01', NULL, NULL, 'SCIENCE');
INSERT INTO registry_v1.detector VALUES ('Cam2', 3, 'S02', NULL, NULL, 'SCIENCE');
INSERT INTO registry_v1.detector VALUES ('Cam2', 4, 'S03', NULL, NULL, 'SCIENCE');


--
-- Data for Name: exposure; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.exposure VALUES ('Cam1', 101, 'Cam1-g', 20240101, 'Cam1_101', NULL, 30, NULL, 'science', NULL, NULL, 'field1', NULL, NULL, '2024-01-01 22:01:00', '2024-01-01 22:01:30');
INSERT INTO registry_v1.exposure VALUES ('Cam1', 102, 'Cam1-g', 20240101, 'Cam1_102', NULL, 15, NULL, 'science', NULL, NULL, 'field1', NULL, NULL, '2024-01-01 22:02:00', '2024-01-01 22:02:15');
INSERT INTO registry_v1.exposure VALUES ('Cam1', 103, 'Cam1-r', 20240102, 'Cam1_103', NULL, 30, NULL, 'science', NULL, NULL, 'field2', NULL, NULL, '2024-01-02 22:03:00', '2024-01-02 22:03:30');
INSERT INTO registry_v1.exposure VALUES ('Cam1', 104, 'Cam1-r', 20240102, 'Cam1_104', NULL, 15, NULL, 'science', NULL, NULL, 'field2', NULL, NULL, '2024-01-02 22:04:00', '2024-01-02 22:04:15');
INSERT INTO registry_v1.exposure VALUES ('Cam2', 201, 'Cam2-r', 20240101, 'Cam2_201', NULL, 30, NULL, 'science', NULL, NULL, 'field1', NULL, NULL, '2024-01-01 22:11:00', '2024-01-01 22:11:30');
INSERT INTO registry_v1.exposure VALUES ('Cam2', 202, 'Cam2-r', 20240101, 'Cam2_202', NULL, 15, NULL, 'science', NULL, NULL, 'field1', NULL, NULL, '2024-01-01 22:12:00', '2024-01-01 22:12:15');
INSERT INTO registry_v1.exposure VALUES ('Cam2', 203, 'Cam2-r', 20240101, 'Cam2_203', NULL, 30, NULL, 'science', NULL, NULL, 'field2', NULL, NULL, '2024-01-01 22:13:00', '2024-01-01 22:13:30');
INSERT INTO registry_v1.exposure VALUES ('Cam2', 204, 'Cam2-r', 20240101, 'Cam2_204', NULL, 15, NULL, 'science', NULL, NULL, 'field2', NULL, NULL, '2024-01-01 22:14:00', '2024-01-01 22:14:15');


--
-- Data for Name: instrument; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.instrument VALUES ('Cam1', 100, 1000, 4, NULL, 'testing.Cam1');
INSERT INTO registry_v1.instrument VALUES ('Cam2', 100, 1000, 4, NULL, 'testing.Cam2');


--
-- Data for Name: meta; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.meta VALUES ('schema_version', '1');
INSERT INTO registry_v1.meta VALUES ('universe', '{"namespace": "databutler", "version": 1, "elements": {"instrument": {"key": {"name": "name", "type": "string", "nullable": false, "length": 32}, "metadata": [{"name": "visit_max", "type": "int"}, {"name": "exposure_max", "type": "int"}, {"name": "detector_max", "type": "int"}, {"name": "visit_system", "type": "int"}, {"name": "class_name", "type": "string", "length": 64}], "doc": "A camera; several may share one registry."}, "band": {"key": {"name": "name", "type": "string", "nullable": false, "length": 32}, "populated_by": "physical_filter", "doc": "An abstract filter (u, g, r...), filled in from physical_filter records."}, "physical_filter": {"key": {"name": "name", "type": "string", "nullable": false, "length": 32}, "requires": ["instrument"], "implies": ["band"], "doc": "A filter of one instrument."}, "detector": {"key": {"name": "id", "type": "int", "nullable": false}, "requires": ["instrument"], "metadata": [{"name": "full_name", "type": "string", "length": 32}, {"name": "name_in_raft", "type": "string", "length": 32}, {"name": "raft", "type": "string", "length": 32}, {"name": "purpose", "type": "string", "length": 32}], "doc": "One sensor of an instrument."}, "day_obs": {"key": {"name": "id", "type": "int", "nullable": false}, "requires": ["instrument"], "metadata": [{"name": "timespan", "type": "timespan"}], "doc": "An observing night of an instrument."}, "exposure": {"key": {"name": "id", "type": "int", "nullable": false}, "requires": ["instrument"], "implies": ["physical_filter", "day_obs"], "metadata": [{"name": "obs_id", "type": "string", "length": 64}, {"name": "group", "type": "string", "length": 64}, {"name": "exposure_time", "type": "float"}, {"name": "dark_time", "type": "float"}, {"name": "observation_type", "type": "string", "length": 16}, {"name": "observation_reason", "type": "string", "length": 68}, {"name": "science_program", "type": "string", "length": 64}, {"name": "target_name", "type": "string", "length": 64}, {"name": "seq_num", "type": "int"}, {"name": "zenith_angle", "type": "float"}, {"name": "timespan", "type": "timespan"}], "doc": "One exposure of the whole camera."}, "visit": {"key": {"name": "id", "type": "int", "nullable": false}, "requires": ["instrument"], "implies": ["physical_filter", "day_obs"], "metadata": [{"name": "name", "type": "string", "length": 64}, {"name": "seq_num", "type": "int"}, {"name": "exposure_time", "type": "float"}, {"name": "target_name", "type": "string", "length": 64}, {"name": "observation_reason", "type": "string", "length": 68}, {"name": "science_program", "type": "string", "length": 64}, {"name": "zenith_angle", "type": "float"}, {"name": "timespan", "type": "timespan"}, {"name": "region", "type": "region"}], "doc": "A sequence of exposures processed together."}, "skymap": {"key": {"name": "name", "type": "string", "nullable": false, "length": 64}, "metadata": [{"name": "hash", "type": "string", "length": 64}, {"name": "tract_max", "type": "int"}, {"name": "patch_nx_max", "type": "int"}, {"name": "patch_ny_max", "type": "int"}], "doc": "A tessellation of the sky into tracts and patches."}, "tract": {"key": {"name": "id", "type": "int", "nullable": false}, "requires": ["skymap"], "metadata": [{"name": "region", "type": "region"}], "doc": "A region of a skymap."}, "patch": {"key": {"name": "id", "type": "int", "nullable": false}, "requires": ["skymap", "tract"], "metadata": [{"name": "cell_x", "type": "int"}, {"name": "cell_y", "type": "int"}, {"name": "region", "type": "region"}], "doc": "A region of a tract."}, "visit_detector_region": {"joins": ["visit", "detector"], "metadata": [{"name": "region", "type": "region"}], "doc": "The region of sky one detector saw in one visit."}, "visit_definition": {"joins": ["exposure", "visit"], "doc": "Which exposures make up which visit."}, "visit_patch_overlap": {"joins": ["visit", "patch"], "doc": "Which patches a visit overlaps."}}}');


--
-- Data for Name: patch; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.patch VALUES ('SkyMap1', 0, 0, 0, 0, 'patch(0,0)');
INSERT INTO registry_v1.patch VALUES ('SkyMap1', 0, 1, 1, 0, 'patch(0,1)');
INSERT INTO registry_v1.patch VALUES ('SkyMap1', 0, 2, 0, 1, 'patch(0,2)');
INSERT INTO registry_v1.patch VALUES ('SkyMap1', 0, 3, 1, 1, 'patch(0,3)');
INSERT INTO registry_v1.patch VALUES ('SkyMap1', 1, 0, 0, 0, 'patch(1,0)');
INSERT INTO registry_v1.patch VALUES ('SkyMap1', 1, 1, 1, 0, 'patch(1,1)');
INSERT INTO registry_v1.patch VALUES ('SkyMap1', 1, 2, 0, 1, 'patch(1,2)');
INSERT INTO registry_v1.patch VALUES ('SkyMap1', 1, 3, 1, 1, 'patch(1,3)');


--
-- Data for Name: physical_filter; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.physical_filter VALUES ('Cam1', 'Cam1-g', 'g');
INSERT INTO registry_v1.physical_filter VALUES ('Cam1', 'Cam1-r', 'r');
INSERT INTO registry_v1.physical_filter VALUES ('Cam2', 'Cam2-r', 'r');


--
-- Data for Name: quantum; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.quantum VALUES ('e9b323bf-0bdf-4012-8544-e0e86ac76d1e', 'isr', 'u/alice/run1', NULL, 'SUCCEEDED', '2024-01-02 03:04:05', '2024-01-02 03:04:12', 'node01', '{"cpu_s": 6.5}');
INSERT INTO registry_v1.quantum VALUES ('bb81ac2e-f8e4-475d-931e-9dd5a01cb4ff', 'coadd', 'u/alice/run2', NULL, 'FAILED', NULL, NULL, NULL, '{"error": "out of memory"}');


--
-- Data for Name: quantum_input; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.quantum_input VALUES ('bb81ac2e-f8e4-475d-931e-9dd5a01cb4ff', 0, '812dcc5a-ef67-4531-bdd0-2274a9ce2738');
INSERT INTO registry_v1.quantum_input VALUES ('bb81ac2e-f8e4-475d-931e-9dd5a01cb4ff', 1, 'ec986e56-edcc-405e-a955-b820e0fa9096');
INSERT INTO registry_v1.quantum_input VALUES ('bb81ac2e-f8e4-475d-931e-9dd5a01cb4ff', 2, '73f1d496-7184-4dd7-96b5-60236ed78554');
INSERT INTO registry_v1.quantum_input VALUES ('bb81ac2e-f8e4-475d-931e-9dd5a01cb4ff', 3, 'ee8d4606-99ab-46aa-bb98-c0816a3b0c85');
INSERT INTO registry_v1.quantum_input VALUES ('bb81ac2e-f8e4-475d-931e-9dd5a01cb4ff', 4, 'b38281e3-e012-4f81-a122-855b6116cfdc');
INSERT INTO registry_v1.quantum_input VALUES ('bb81ac2e-f8e4-475d-931e-9dd5a01cb4ff', 5, '5e987119-c15f-478b-a0fb-c6fd8be8d34a');
INSERT INTO registry_v1.quantum_input VALUES ('bb81ac2e-f8e4-475d-931e-9dd5a01cb4ff', 6, '0f576a8a-176f-439f-a310-7d49f7706d4c');
INSERT INTO registry_v1.quantum_input VALUES ('bb81ac2e-f8e4-475d-931e-9dd5a01cb4ff', 7, 'dda227a7-975d-4705-b688-e46f7cf9ef5c');


--
-- Data for Name: quantum_output; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.quantum_output VALUES ('e9b323bf-0bdf-4012-8544-e0e86ac76d1e', 0, '812dcc5a-ef67-4531-bdd0-2274a9ce2738');
INSERT INTO registry_v1.quantum_output VALUES ('e9b323bf-0bdf-4012-8544-e0e86ac76d1e', 1, 'ec986e56-edcc-405e-a955-b820e0fa9096');
INSERT INTO registry_v1.quantum_output VALUES ('bb81ac2e-f8e4-475d-931e-9dd5a01cb4ff', 0, '1d0f2d96-31d9-4cbe-8835-d62846f27448');
INSERT INTO registry_v1.quantum_output VALUES ('bb81ac2e-f8e4-475d-931e-9dd5a01cb4ff', 1, '601da83d-3fd2-482c-8b1f-75428a2b1ed5');


--
-- Data for Name: run; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.run VALUES (1);
INSERT INTO registry_v1.run VALUES (2);


--
-- Data for Name: skymap; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.skymap VALUES ('SkyMap1', '0f1e2d', 2, 2, 2);


--
-- Data for Name: tract; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.tract VALUES ('SkyMap1', 0, 'tract(0)');
INSERT INTO registry_v1.tract VALUES ('SkyMap1', 1, 'tract(1)');


--
-- Data for Name: visit; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.visit VALUES ('Cam1', 1, 'Cam1-g', 20240101, 'visit1', NULL, 30, 'field1', NULL, NULL, NULL, '2024-01-01 22:01:00', '2024-01-01 22:01:30', 'visit(Cam1,1)');
INSERT INTO registry_v1.visit VALUES ('Cam1', 2, 'Cam1-g', 20240101, 'visit2', NULL, 15, 'field1', NULL, NULL, NULL, '2024-01-01 22:02:00', '2024-01-01 22:02:15', 'visit(Cam1,2)');
INSERT INTO registry_v1.visit VALUES ('Cam1', 3, 'Cam1-r', 20240102, 'visit3', NULL, 30, 'field2', NULL, NULL, NULL, '2024-01-02 22:03:00', '2024-01-02 22:03:30', 'visit(Cam1,3)');
INSERT INTO registry_v1.visit VALUES ('Cam1', 4, 'Cam1-r', 20240102, 'visit4', NULL, 15, 'field2', NULL, NULL, NULL, '2024-01-02 22:04:00', '2024-01-02 22:04:15', 'visit(Cam1,4)');
INSERT INTO registry_v1.visit VALUES ('Cam2', 11, 'Cam2-r', 20240101, 'visit11', NULL, 30, 'field1', NULL, NULL, NULL, '2024-01-01 22:11:00', '2024-01-01 22:11:30', 'visit(Cam2,11)');
INSERT INTO registry_v1.visit VALUES ('Cam2', 12, 'Cam2-r', 20240101, 'visit12', NULL, 15, 'field1', NULL, NULL, NULL, '2024-01-01 22:12:00', '2024-01-01 22:12:15', 'visit(Cam2,12)');
INSERT INTO registry_v1.visit VALUES ('Cam2', 13, 'Cam2-r', 20240101, 'visit13', NULL, 30, 'field2', NULL, NULL, NULL, '2024-01-01 22:13:00', '2024-01-01 22:13:30', 'visit(Cam2,13)');
INSERT INTO registry_v1.visit VALUES ('Cam2', 14, 'Cam2-r', 20240101, 'visit14', NULL, 15, 'field2', NULL, NULL, NULL, '2024-01-01 22:14:00', '2024-01-01 22:14:15', 'visit(Cam2,14)');


--
-- Data for Name: visit_definition; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.visit_definition VALUES ('Cam1', 101, 1);
INSERT INTO registry_v1.visit_definition VALUES ('Cam1', 102, 2);
INSERT INTO registry_v1.visit_definition VALUES ('Cam1', 103, 3);
INSERT INTO registry_v1.visit_definition VALUES ('Cam1', 104, 4);
INSERT INTO registry_v1.visit_definition VALUES ('Cam2', 201, 11);
INSERT INTO registry_v1.visit_definition VALUES ('Cam2', 202, 12);
INSERT INTO registry_v1.visit_definition VALUES ('Cam2', 203, 13);
INSERT INTO registry_v1.visit_definition VALUES ('Cam2', 204, 14);


--
-- Data for Name: visit_detector_region; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.visit_detector_region VALUES ('Cam1', 1, 1, 'vdr(Cam1,1,1)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam1', 2, 1, 'vdr(Cam1,1,2)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam1', 3, 1, 'vdr(Cam1,1,3)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam1', 4, 1, 'vdr(Cam1,1,4)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam1', 1, 2, 'vdr(Cam1,2,1)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam1', 2, 2, 'vdr(Cam1,2,2)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam1', 3, 2, 'vdr(Cam1,2,3)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam1', 4, 2, 'vdr(Cam1,2,4)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam1', 1, 3, 'vdr(Cam1,3,1)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam1', 2, 3, 'vdr(Cam1,3,2)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam1', 3, 3, 'vdr(Cam1,3,3)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam1', 4, 3, 'vdr(Cam1,3,4)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam1', 1, 4, 'vdr(Cam1,4,1)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam1', 2, 4, 'vdr(Cam1,4,2)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam1', 3, 4, 'vdr(Cam1,4,3)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam1', 4, 4, 'vdr(Cam1,4,4)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam2', 1, 11, 'vdr(Cam2,11,1)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam2', 2, 11, 'vdr(Cam2,11,2)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam2', 3, 11, 'vdr(Cam2,11,3)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam2', 4, 11, 'vdr(Cam2,11,4)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam2', 1, 12, 'vdr(Cam2,12,1)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam2', 2, 12, 'vdr(Cam2,12,2)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam2', 3, 12, 'vdr(Cam2,12,3)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam2', 4, 12, 'vdr(Cam2,12,4)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam2', 1, 13, 'vdr(Cam2,13,1)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam2', 2, 13, 'vdr(Cam2,13,2)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam2', 3, 13, 'vdr(Cam2,13,3)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam2', 4, 13, 'vdr(Cam2,13,4)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam2', 1, 14, 'vdr(Cam2,14,1)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam2', 2, 14, 'vdr(Cam2,14,2)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam2', 3, 14, 'vdr(Cam2,14,3)');
INSERT INTO registry_v1.visit_detector_region VALUES ('Cam2', 4, 14, 'vdr(Cam2,14,4)');


--
-- Data for Name: visit_patch_overlap; Type: TABLE DATA; Schema: registry_v1; Owner: -
--

INSERT INTO registry_v1.visit_patch_overlap VALUES ('Cam1', 1, 'SkyMap1', 0, 0);
INSERT INTO registry_v1.visit_patch_overlap VALUES ('Cam1', 1, 'SkyMap1', 0, 1);
INSERT INTO registry_v1.visit_patch_overlap VALUES ('Cam1', 2, 'SkyMap1', 0, 1);
INSERT INTO registry_v1.visit_patch_overlap VALUES ('Cam1', 2, 'SkyMap1', 0, 2);
INSERT INTO registry_v1.visit_patch_overlap VALUES ('Cam1', 3, 'SkyMap1', 0, 2);
INSERT INTO registry_v1.visit_patch_overlap VALUES ('Cam1', 3, 'SkyMap1', 0, 3);
INSERT INTO registry_v1.visit_patch_overlap VALUES ('Cam1', 4, 'SkyMap1', 0, 3);
INSERT INTO registry_v1.visit_patch_overlap VALUES ('Cam1', 4, 'SkyMap1', 1, 0);
INSERT INTO registry_v1.visit_patch_overlap VALUES ('Cam2', 11, 'SkyMap1', 1, 0);
INSERT INTO registry_v1.visit_patch_overlap VALUES ('Cam2', 11, 'SkyMap1', 1, 1);
INSERT INTO registry_v1.visit_patch_overlap VALUES ('Cam2', 12, 'SkyMap1', 1, 1);
INSERT INTO registry_v1.visit_patch_overlap VALUES ('Cam2', 12, 'SkyMap1', 1, 2);
INSERT INTO registry_v1.visit_patch_overlap VALUES ('Cam2', 13, 'SkyMap1', 1, 2);
INSERT INTO registry_v1.visit_patch_overlap VALUES ('Cam2', 13, 'SkyMap1', 1, 3);
INSERT INTO registry_v1.visit_patch_overlap VALUES ('Cam2', 14, 'SkyMap1', 1, 3);
INSERT INTO registry_v1.visit_patch_overlap VALUES ('Cam2', 14, 'SkyMap1', 0, 0);


--
-- Name: collection_id_seq; Type: SEQUENCE SET; Schema: registry_v1; Owner: -
--

SELECT pg_catalog.setval('registry_v1.collection_id_seq', 5, true);


--
-- Name: dataset_type_id_seq; Type: SEQUENCE SET; Schema: registry_v1; Owner: -
--

SELECT pg_catalog.setval('registry_v1.dataset_type_id_seq', 3, true);


--
-- Name: band band_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.band
    ADD CONSTRAINT band_pkey PRIMARY KEY (name);


--
-- Name: collection_chain collection_chain_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.collection_chain
    ADD CONSTRAINT collection_chain_pkey PRIMARY KEY (parent, "position");


--
-- Name: collection collection_name_key; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.collection
    ADD CONSTRAINT collection_name_key UNIQUE (name);


--
-- Name: collection collection_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.collection
    ADD CONSTRAINT collection_pkey PRIMARY KEY (id);


--
-- Name: dataset_artifact dataset_artifact_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.dataset_artifact
    ADD CONSTRAINT dataset_artifact_pkey PRIMARY KEY (dataset_id, component);


--
-- Name: dataset dataset_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.dataset
    ADD CONSTRAINT dataset_pkey PRIMARY KEY (id);


--
-- Name: dataset_tag dataset_tag_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.dataset_tag
    ADD CONSTRAINT dataset_tag_pkey PRIMARY KEY (collection_id, dataset_type_id, data_id_key);


--
-- Name: dataset_type dataset_type_name_key; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.dataset_type
    ADD CONSTRAINT dataset_type_name_key UNIQUE (name);


--
-- Name: dataset_type dataset_type_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.dataset_type
    ADD CONSTRAINT dataset_type_pkey PRIMARY KEY (id);


--
-- Name: day_obs day_obs_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.day_obs
    ADD CONSTRAINT day_obs_pkey PRIMARY KEY (instrument, id);


--
-- Name: detector detector_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.detector
    ADD CONSTRAINT detector_pkey PRIMARY KEY (instrument, id);


--
-- Name: exposure exposure_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.exposure
    ADD CONSTRAINT exposure_pkey PRIMARY KEY (instrument, id);


--
-- Name: instrument instrument_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.instrument
    ADD CONSTRAINT instrument_pkey PRIMARY KEY (name);


--
-- Name: meta meta_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.meta
    ADD CONSTRAINT meta_pkey PRIMARY KEY (key);


--
-- Name: patch patch_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.patch
    ADD CONSTRAINT patch_pkey PRIMARY KEY (skymap, tract, id);


--
-- Name: physical_filter physical_filter_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.physical_filter
    ADD CONSTRAINT physical_filter_pkey PRIMARY KEY (instrument, name);


--
-- Name: quantum_input quantum_input_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.quantum_input
    ADD CONSTRAINT quantum_input_pkey PRIMARY KEY (quantum_id, "position");


--
-- Name: quantum_output quantum_output_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.quantum_output
    ADD CONSTRAINT quantum_output_pkey PRIMARY KEY (quantum_id, "position");


--
-- Name: quantum quantum_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.quantum
    ADD CONSTRAINT quantum_pkey PRIMARY KEY (id);


--
-- Name: run run_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.run
    ADD CONSTRAINT run_pkey PRIMARY KEY (collection_id);


--
-- Name: skymap skymap_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.skymap
    ADD CONSTRAINT skymap_pkey PRIMARY KEY (name);


--
-- Name: tract tract_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.tract
    ADD CONSTRAINT tract_pkey PRIMARY KEY (skymap, id);


--
-- Name: dataset uq_dataset_type_run_data_id; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.dataset
    ADD CONSTRAINT uq_dataset_type_run_data_id UNIQUE (dataset_type_id, run_id, data_id_key);


--
-- Name: visit_definition visit_definition_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.visit_definition
    ADD CONSTRAINT visit_definition_pkey PRIMARY KEY (instrument, exposure, visit);


--
-- Name: visit_detector_region visit_detector_region_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.visit_detector_region
    ADD CONSTRAINT visit_detector_region_pkey PRIMARY KEY (instrument, detector, visit);


--
-- Name: visit_patch_overlap visit_patch_overlap_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.visit_patch_overlap
    ADD CONSTRAINT visit_patch_overlap_pkey PRIMARY KEY (instrument, visit, skymap, tract, patch);


--
-- Name: visit visit_pkey; Type: CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.visit
    ADD CONSTRAINT visit_pkey PRIMARY KEY (instrument, id);


--
-- Name: ix_dataset_find; Type: INDEX; Schema: registry_v1; Owner: -
--

CREATE INDEX ix_dataset_find ON registry_v1.dataset USING btree (dataset_type_id, data_id_key);


--
-- Name: ix_dataset_run; Type: INDEX; Schema: registry_v1; Owner: -
--

CREATE INDEX ix_dataset_run ON registry_v1.dataset USING btree (run_id);


--
-- Name: ix_dataset_unit_detector; Type: INDEX; Schema: registry_v1; Owner: -
--

CREATE INDEX ix_dataset_unit_detector ON registry_v1.dataset USING btree (detector) WHERE (detector IS NOT NULL);


--
-- Name: ix_dataset_unit_exposure; Type: INDEX; Schema: registry_v1; Owner: -
--

CREATE INDEX ix_dataset_unit_exposure ON registry_v1.dataset USING btree (exposure) WHERE (exposure IS NOT NULL);


--
-- Name: ix_dataset_unit_patch; Type: INDEX; Schema: registry_v1; Owner: -
--

CREATE INDEX ix_dataset_unit_patch ON registry_v1.dataset USING btree (patch) WHERE (patch IS NOT NULL);


--
-- Name: ix_dataset_unit_tract; Type: INDEX; Schema: registry_v1; Owner: -
--

CREATE INDEX ix_dataset_unit_tract ON registry_v1.dataset USING btree (tract) WHERE (tract IS NOT NULL);


--
-- Name: ix_dataset_unit_visit; Type: INDEX; Schema: registry_v1; Owner: -
--

CREATE INDEX ix_dataset_unit_visit ON registry_v1.dataset USING btree (visit) WHERE (visit IS NOT NULL);


--
-- Name: ix_registry_v1_collection_chain_child; Type: INDEX; Schema: registry_v1; Owner: -
--

CREATE INDEX ix_registry_v1_collection_chain_child ON registry_v1.collection_chain USING btree (child);


--
-- Name: ix_registry_v1_dataset_tag_dataset_id; Type: INDEX; Schema: registry_v1; Owner: -
--

CREATE INDEX ix_registry_v1_dataset_tag_dataset_id ON registry_v1.dataset_tag USING btree (dataset_id);


--
-- Name: ix_registry_v1_quantum_input_dataset_id; Type: INDEX; Schema: registry_v1; Owner: -
--

CREATE INDEX ix_registry_v1_quantum_input_dataset_id ON registry_v1.quantum_input USING btree (dataset_id);


--
-- Name: ix_registry_v1_quantum_output_dataset_id; Type: INDEX; Schema: registry_v1; Owner: -
--

CREATE INDEX ix_registry_v1_quantum_output_dataset_id ON registry_v1.quantum_output USING btree (dataset_id);


--
-- Name: ix_registry_v1_quantum_run; Type: INDEX; Schema: registry_v1; Owner: -
--

CREATE INDEX ix_registry_v1_quantum_run ON registry_v1.quantum USING btree (run);


--
-- Name: ix_registry_v1_quantum_task; Type: INDEX; Schema: registry_v1; Owner: -
--

CREATE INDEX ix_registry_v1_quantum_task ON registry_v1.quantum USING btree (task);


--
-- Name: ix_visit_definition_visit; Type: INDEX; Schema: registry_v1; Owner: -
--

CREATE INDEX ix_visit_definition_visit ON registry_v1.visit_definition USING btree (instrument, visit);


--
-- Name: ix_visit_detector_region_visit; Type: INDEX; Schema: registry_v1; Owner: -
--

CREATE INDEX ix_visit_detector_region_visit ON registry_v1.visit_detector_region USING btree (instrument, visit);


--
-- Name: ix_visit_patch_overlap_patch; Type: INDEX; Schema: registry_v1; Owner: -
--

CREATE INDEX ix_visit_patch_overlap_patch ON registry_v1.visit_patch_overlap USING btree (skymap, tract, patch);


--
-- Name: collection_chain collection_chain_child_fkey; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.collection_chain
    ADD CONSTRAINT collection_chain_child_fkey FOREIGN KEY (child) REFERENCES registry_v1.collection(id);


--
-- Name: collection_chain collection_chain_parent_fkey; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.collection_chain
    ADD CONSTRAINT collection_chain_parent_fkey FOREIGN KEY (parent) REFERENCES registry_v1.collection(id) ON DELETE CASCADE;


--
-- Name: dataset_artifact dataset_artifact_dataset_id_fkey; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.dataset_artifact
    ADD CONSTRAINT dataset_artifact_dataset_id_fkey FOREIGN KEY (dataset_id) REFERENCES registry_v1.dataset(id) ON DELETE CASCADE;


--
-- Name: dataset dataset_dataset_type_id_fkey; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.dataset
    ADD CONSTRAINT dataset_dataset_type_id_fkey FOREIGN KEY (dataset_type_id) REFERENCES registry_v1.dataset_type(id);


--
-- Name: dataset dataset_run_id_fkey; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.dataset
    ADD CONSTRAINT dataset_run_id_fkey FOREIGN KEY (run_id) REFERENCES registry_v1.run(collection_id);


--
-- Name: dataset_tag dataset_tag_collection_id_fkey; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.dataset_tag
    ADD CONSTRAINT dataset_tag_collection_id_fkey FOREIGN KEY (collection_id) REFERENCES registry_v1.collection(id) ON DELETE CASCADE;


--
-- Name: dataset_tag dataset_tag_dataset_id_fkey; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.dataset_tag
    ADD CONSTRAINT dataset_tag_dataset_id_fkey FOREIGN KEY (dataset_id) REFERENCES registry_v1.dataset(id) ON DELETE CASCADE;


--
-- Name: day_obs fk_day_obs_instrument; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.day_obs
    ADD CONSTRAINT fk_day_obs_instrument FOREIGN KEY (instrument) REFERENCES registry_v1.instrument(name);


--
-- Name: detector fk_detector_instrument; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.detector
    ADD CONSTRAINT fk_detector_instrument FOREIGN KEY (instrument) REFERENCES registry_v1.instrument(name);


--
-- Name: exposure fk_exposure_day_obs; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.exposure
    ADD CONSTRAINT fk_exposure_day_obs FOREIGN KEY (instrument, day_obs) REFERENCES registry_v1.day_obs(instrument, id);


--
-- Name: exposure fk_exposure_instrument; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.exposure
    ADD CONSTRAINT fk_exposure_instrument FOREIGN KEY (instrument) REFERENCES registry_v1.instrument(name);


--
-- Name: exposure fk_exposure_physical_filter; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.exposure
    ADD CONSTRAINT fk_exposure_physical_filter FOREIGN KEY (instrument, physical_filter) REFERENCES registry_v1.physical_filter(instrument, name);


--
-- Name: patch fk_patch_skymap; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.patch
    ADD CONSTRAINT fk_patch_skymap FOREIGN KEY (skymap) REFERENCES registry_v1.skymap(name);


--
-- Name: patch fk_patch_tract; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.patch
    ADD CONSTRAINT fk_patch_tract FOREIGN KEY (skymap, tract) REFERENCES registry_v1.tract(skymap, id);


--
-- Name: physical_filter fk_physical_filter_band; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.physical_filter
    ADD CONSTRAINT fk_physical_filter_band FOREIGN KEY (band) REFERENCES registry_v1.band(name);


--
-- Name: physical_filter fk_physical_filter_instrument; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.physical_filter
    ADD CONSTRAINT fk_physical_filter_instrument FOREIGN KEY (instrument) REFERENCES registry_v1.instrument(name);


--
-- Name: tract fk_tract_skymap; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.tract
    ADD CONSTRAINT fk_tract_skymap FOREIGN KEY (skymap) REFERENCES registry_v1.skymap(name);


--
-- Name: visit fk_visit_day_obs; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.visit
    ADD CONSTRAINT fk_visit_day_obs FOREIGN KEY (instrument, day_obs) REFERENCES registry_v1.day_obs(instrument, id);


--
-- Name: visit_definition fk_visit_definition_exposure; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.visit_definition
    ADD CONSTRAINT fk_visit_definition_exposure FOREIGN KEY (instrument, exposure) REFERENCES registry_v1.exposure(instrument, id);


--
-- Name: visit_definition fk_visit_definition_visit; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.visit_definition
    ADD CONSTRAINT fk_visit_definition_visit FOREIGN KEY (instrument, visit) REFERENCES registry_v1.visit(instrument, id);


--
-- Name: visit_detector_region fk_visit_detector_region_detector; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.visit_detector_region
    ADD CONSTRAINT fk_visit_detector_region_detector FOREIGN KEY (instrument, detector) REFERENCES registry_v1.detector(instrument, id);


--
-- Name: visit_detector_region fk_visit_detector_region_visit; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.visit_detector_region
    ADD CONSTRAINT fk_visit_detector_region_visit FOREIGN KEY (instrument, visit) REFERENCES registry_v1.visit(instrument, id);


--
-- Name: visit fk_visit_instrument; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.visit
    ADD CONSTRAINT fk_visit_instrument FOREIGN KEY (instrument) REFERENCES registry_v1.instrument(name);


--
-- Name: visit_patch_overlap fk_visit_patch_overlap_patch; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.visit_patch_overlap
    ADD CONSTRAINT fk_visit_patch_overlap_patch FOREIGN KEY (skymap, tract, patch) REFERENCES registry_v1.patch(skymap, tract, id);


--
-- Name: visit_patch_overlap fk_visit_patch_overlap_visit; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.visit_patch_overlap
    ADD CONSTRAINT fk_visit_patch_overlap_visit FOREIGN KEY (instrument, visit) REFERENCES registry_v1.visit(instrument, id);


--
-- Name: visit fk_visit_physical_filter; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.visit
    ADD CONSTRAINT fk_visit_physical_filter FOREIGN KEY (instrument, physical_filter) REFERENCES registry_v1.physical_filter(instrument, name);


--
-- Name: quantum_input quantum_input_quantum_id_fkey; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.quantum_input
    ADD CONSTRAINT quantum_input_quantum_id_fkey FOREIGN KEY (quantum_id) REFERENCES registry_v1.quantum(id) ON DELETE CASCADE;


--
-- Name: quantum_output quantum_output_quantum_id_fkey; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.quantum_output
    ADD CONSTRAINT quantum_output_quantum_id_fkey FOREIGN KEY (quantum_id) REFERENCES registry_v1.quantum(id) ON DELETE CASCADE;


--
-- Name: run run_collection_id_fkey; Type: FK CONSTRAINT; Schema: registry_v1; Owner: -
--

ALTER TABLE ONLY registry_v1.run
    ADD CONSTRAINT run_collection_id_fkey FOREIGN KEY (collection_id) REFERENCES registry_v1.collection(id) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--

\unrestrict JhAlCnCcnm5jESzec1Li24maqYQFh0esRD7yOcosg7aHHOq5nQPvfBQmLWArJOc


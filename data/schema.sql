-- The register store. Several schools and several academic years from the start.
-- academic_year is the calendar year in which the academic year starts (2025 = 2025/26).

CREATE TABLE IF NOT EXISTS schools (
    school_id   VARCHAR PRIMARY KEY,   -- URN or DfE number as the school uses it
    name        VARCHAR NOT NULL,
    phase       VARCHAR NOT NULL DEFAULT 'secondary',  -- primary | secondary | special
    la_code     VARCHAR,               -- new-style local authority code (E09000030)
    is_sample   BOOLEAN NOT NULL DEFAULT FALSE,
    la_name     VARCHAR,               -- the local authority's name (Tower Hamlets)
    trust       VARCHAR                -- the multi-academy trust, where the school is in one
);
-- Files made before schools carried their local authority's name and trust (data/schools.py).
ALTER TABLE schools ADD COLUMN IF NOT EXISTS la_name VARCHAR;
ALTER TABLE schools ADD COLUMN IF NOT EXISTS trust VARCHAR;

-- Who the pupil is: stable across years.
CREATE TABLE IF NOT EXISTS pupils (
    school_id      VARCHAR NOT NULL,
    upn            VARCHAR NOT NULL,   -- UPN or MIS id, as exported
    surname        VARCHAR,
    forename       VARCHAR,
    date_of_birth  DATE,
    gender         VARCHAR,
    ethnicity      VARCHAR,
    PRIMARY KEY (school_id, upn)
);

-- One row per pupil per academic year on roll: the enrolment the DfE measures count.
-- enrolment_id: an integer surrogate for (school_id, upn, academic_year), kept on every mark too, so
-- that the measures join 11 million marks to their enrolment on one integer rather than three keys.
-- Stable: an upsert of the same (school, upn, year) keeps it (never list it in an INSERT OR REPLACE).
CREATE SEQUENCE IF NOT EXISTS enrolment_id_seq;
CREATE TABLE IF NOT EXISTS enrolments (
    school_id      VARCHAR NOT NULL,
    upn            VARCHAR NOT NULL,
    academic_year  INTEGER NOT NULL,
    year_group     INTEGER,            -- national curriculum year; 0 = Reception, -1 = Nursery
    form           VARCHAR,
    fsm            BOOLEAN,
    sen            VARCHAR,            -- E (EHC plan), K (SEN support), N (none)
    eal            BOOLEAN,
    cin            BOOLEAN,
    lac            BOOLEAN,
    admission_date DATE,
    leaving_date   DATE,
    source         VARCHAR NOT NULL DEFAULT 'imported',  -- imported | carried (derived from another year)
    enrolment_id   BIGINT DEFAULT nextval('enrolment_id_seq'),
    PRIMARY KEY (school_id, upn, academic_year)
);

-- One row per pupil per session. code NULL = missing mark (blank or '-' in the export).
-- enrolment_id: the mark's enrolment (same school, upn, academic_year), NULL while it has none;
-- set when the mark is written and by data.db.link_marks when an enrolment arrives later.
CREATE TABLE IF NOT EXISTS session_marks (
    school_id      VARCHAR NOT NULL,
    upn            VARCHAR NOT NULL,
    date           DATE NOT NULL,
    session        VARCHAR NOT NULL,   -- AM | PM
    code           VARCHAR,
    academic_year  INTEGER NOT NULL,
    enrolment_id   BIGINT,
    recorded_by    VARCHAR            -- who took the register, when the export says
);

CREATE TABLE IF NOT EXISTS lesson_marks (
    school_id      VARCHAR NOT NULL,
    upn            VARCHAR NOT NULL,
    date           DATE NOT NULL,
    period         VARCHAR NOT NULL,   -- as exported (1, P1, Mon:1)
    period_number  INTEGER,            -- ordinal within the day, when it can be read
    session        VARCHAR,            -- AM | PM: the registration session the lesson falls in
    subject        VARCHAR,            -- subject or class
    code           VARCHAR,
    minutes_late   INTEGER,
    academic_year  INTEGER NOT NULL,
    enrolment_id   BIGINT             -- as on session_marks
);

-- Derived, never imported (data/on_roll.py): each mark inside its pupil's enrolment (admission to
-- leaving) with its category flags from the code table, rebuilt for the school and years an import,
-- an erasure or a purge touches. The measures read these rather than joining every mark to its
-- enrolment and the code table at every question.
CREATE TABLE IF NOT EXISTS on_roll_sessions (
    enrolment_id   BIGINT NOT NULL,
    school_id      VARCHAR NOT NULL,
    upn            VARCHAR NOT NULL,
    academic_year  INTEGER NOT NULL,
    date           DATE NOT NULL,
    session        VARCHAR NOT NULL,
    code           VARCHAR,
    missing        BOOLEAN NOT NULL,   -- no code: the register was not completed
    possible       BOOLEAN NOT NULL,   -- the flags below come from the code table
    attended       BOOLEAN NOT NULL,
    present        BOOLEAN NOT NULL,
    approved       BOOLEAN NOT NULL,
    authorised     BOOLEAN NOT NULL,
    unauthorised   BOOLEAN NOT NULL,
    absent         BOOLEAN NOT NULL,
    late_l         BOOLEAN NOT NULL,
    late_u         BOOLEAN NOT NULL,
    category       VARCHAR NOT NULL    -- the code's category, or 'missing'
);

CREATE TABLE IF NOT EXISTS on_roll_lessons (
    enrolment_id   BIGINT NOT NULL,
    school_id      VARCHAR NOT NULL,
    upn            VARCHAR NOT NULL,
    academic_year  INTEGER NOT NULL,
    date           DATE NOT NULL,
    session        VARCHAR,
    period         VARCHAR NOT NULL,
    period_number  INTEGER,
    subject        VARCHAR,
    minutes_late   INTEGER,
    code           VARCHAR,
    missing        BOOLEAN NOT NULL,   -- no code: the register was not completed
    possible       BOOLEAN NOT NULL,   -- the flags below come from the code table
    attended       BOOLEAN NOT NULL,
    present        BOOLEAN NOT NULL,
    approved       BOOLEAN NOT NULL,
    authorised     BOOLEAN NOT NULL,
    unauthorised   BOOLEAN NOT NULL,
    absent         BOOLEAN NOT NULL,
    late_l         BOOLEAN NOT NULL,
    late_u         BOOLEAN NOT NULL,
    category       VARCHAR NOT NULL    -- the code's category, or 'missing'
);

-- Derived with them: every spell of absence (run of consecutive absent possible sessions) of each
-- enrolment over its whole year, for whole-year questions (data.on_roll.spells_sql).
CREATE TABLE IF NOT EXISTS on_roll_spells (
    enrolment_id          BIGINT NOT NULL,
    school_id             VARCHAR NOT NULL,
    upn                   VARCHAR NOT NULL,
    academic_year         INTEGER NOT NULL,
    start_date            DATE NOT NULL,
    start_session         VARCHAR NOT NULL,
    end_date              DATE NOT NULL,
    end_session           VARCHAR NOT NULL,
    sessions              BIGINT NOT NULL,
    unauthorised_sessions BIGINT NOT NULL,
    codes                 VARCHAR
);

-- The DfE code table (data/reference/attendance_codes.csv).
CREATE TABLE IF NOT EXISTS codes (
    code                       VARCHAR PRIMARY KEY,
    meaning                    VARCHAR NOT NULL,
    category                   VARCHAR NOT NULL,  -- present | approved_activity | authorised | unauthorised | not_possible
    counts_as_possible_session BOOLEAN NOT NULL,
    counts_as_attendance       BOOLEAN NOT NULL,
    in_force                   VARCHAR,
    dfe_statistics_column      VARCHAR
);

-- Terms and half-terms: derived from the marks unless imported (source = 'imported').
CREATE TABLE IF NOT EXISTS calendar (
    school_id      VARCHAR NOT NULL,
    academic_year  INTEGER NOT NULL,
    term           VARCHAR NOT NULL,   -- autumn | spring | summer
    half_term      INTEGER NOT NULL,   -- 1 | 2
    start_date     DATE NOT NULL,
    end_date       DATE NOT NULL,
    source         VARCHAR NOT NULL DEFAULT 'derived',
    PRIMARY KEY (school_id, academic_year, term, half_term)
);

CREATE SEQUENCE IF NOT EXISTS import_log_seq;
CREATE TABLE IF NOT EXISTS import_log (
    import_id      INTEGER PRIMARY KEY DEFAULT nextval('import_log_seq'),
    school_id      VARCHAR,
    file_name      VARCHAR NOT NULL,
    sha256         VARCHAR NOT NULL,
    kind           VARCHAR,            -- sessions | lessons | pupils | calendar
    rows           BIGINT,
    imported_at    TIMESTAMP NOT NULL DEFAULT current_timestamp,
    outcome        VARCHAR NOT NULL,   -- imported | refused
    message        VARCHAR,            -- refused: why; imported: sheet, year taken, rows skipped
    imported_by    VARCHAR             -- 'command line' or the signed-in user's email
);

-- The other identifiers a pupils file gave (admission number, MIS id, an aggregator's id), so that
-- marks keyed by any of them find the pupil. The UPN stays the key (value -> upn). Values are upper
-- case, numeric ones without leading zeros.
CREATE TABLE IF NOT EXISTS pupil_ids (
    school_id      VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,   -- admission_number | mis_id | pupil_id | record_id
    value          VARCHAR NOT NULL,
    upn            VARCHAR NOT NULL,
    PRIMARY KEY (school_id, kind, value)
);

-- Column mappings a user saved in the app for a layout the importer did not recognise.
CREATE TABLE IF NOT EXISTS column_mappings (
    signature      VARCHAR PRIMARY KEY,  -- normalised header list
    kind           VARCHAR NOT NULL,
    mapping        VARCHAR NOT NULL,     -- JSON: {"file column": "field"}
    saved_at       TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE IF NOT EXISTS settings (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);

-- Local accounts and OpenID Connect allow-list (data/users.py). An OIDC user has no password_hash.
-- Empty lists mean: every school (school_ids); no year/form restriction (year_groups, forms).
CREATE TABLE IF NOT EXISTS users (
    email            VARCHAR PRIMARY KEY,   -- stored lower-case
    role             VARCHAR NOT NULL,      -- admin | leader | pastoral | governor
    school_ids       VARCHAR[] NOT NULL DEFAULT [],
    year_groups      INTEGER[] NOT NULL DEFAULT [],
    forms            VARCHAR[] NOT NULL DEFAULT [],
    password_hash    VARCHAR,               -- argon2id, salted; NULL = sign in through the identity provider only
    created_at       TIMESTAMP NOT NULL DEFAULT current_timestamp,
    failed_attempts  INTEGER NOT NULL DEFAULT 0,
    locked_until     TIMESTAMP,             -- UTC
    last_sign_in     TIMESTAMP,             -- UTC
    active           BOOLEAN NOT NULL DEFAULT TRUE
);

-- Who did what, when (data/audit.py). Holds a pupil's identifier at most, never their data.
CREATE SEQUENCE IF NOT EXISTS audit_log_seq;
CREATE TABLE IF NOT EXISTS audit_log (
    entry_id   BIGINT PRIMARY KEY DEFAULT nextval('audit_log_seq'),
    logged_at  TIMESTAMP NOT NULL,          -- UTC
    who        VARCHAR NOT NULL,            -- email, 'demo (role)' or 'command line'
    role       VARCHAR,
    action     VARCHAR NOT NULL,            -- e.g. 'view pupil', 'export list', 'sign in', 'delete pupil'
    school_id  VARCHAR,
    upn        VARCHAR,                     -- the pupil viewed or deleted, else NULL
    detail     VARCHAR                      -- page, list name or filter; never names or pupil figures
);

-- What staff did for a pupil (data/interventions.py): the intervention log. Recorded in the app,
-- imported from a CSV (UPN, Date, Type, Owner, Status, Notes, Review date), or logged when a letter
-- is made. Governors never see it.
CREATE SEQUENCE IF NOT EXISTS intervention_id_seq;
CREATE TABLE IF NOT EXISTS interventions (
    intervention_id BIGINT PRIMARY KEY DEFAULT nextval('intervention_id_seq'),
    school_id       VARCHAR NOT NULL,
    upn             VARCHAR NOT NULL,
    date            DATE NOT NULL,      -- when it happened (or starts)
    type            VARCHAR NOT NULL,   -- one of data.interventions.TYPES, or the school's own
    owner           VARCHAR,            -- the member of staff responsible
    status          VARCHAR NOT NULL DEFAULT 'open',  -- open | closed
    notes           VARCHAR,
    review_date     DATE,               -- next review
    source          VARCHAR NOT NULL DEFAULT 'app',   -- app | import | letter
    created_by      VARCHAR,
    created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp,
    updated_at      TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- The escalation stage staff confirmed for a pupil (data/interventions.py), beside the one the data
-- suggests (analytics/caseload.py). The latest row per pupil is the current stage.
CREATE SEQUENCE IF NOT EXISTS escalation_stage_seq;
CREATE TABLE IF NOT EXISTS escalation_stages (
    stage_id     BIGINT PRIMARY KEY DEFAULT nextval('escalation_stage_seq'),
    school_id    VARCHAR NOT NULL,
    upn          VARCHAR NOT NULL,
    stage        VARCHAR NOT NULL,      -- one of data.interventions.STAGES
    confirmed_by VARCHAR,
    confirmed_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- The school's attendance action plan (data/school_actions.py): whole-school, no pupils in it.
CREATE SEQUENCE IF NOT EXISTS school_action_seq;
CREATE TABLE IF NOT EXISTS school_actions (
    action_id   BIGINT PRIMARY KEY DEFAULT nextval('school_action_seq'),
    school_id   VARCHAR NOT NULL,
    action      VARCHAR NOT NULL,
    owner       VARCHAR,
    due_date    DATE,
    status      VARCHAR NOT NULL DEFAULT 'not started',  -- not started | in progress | done
    measure     VARCHAR,                -- a key of analytics.measures.MEASURE_KEYS, shown with its trend
    updated_by  VARCHAR,
    updated_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Letters home the school has edited (data/letter_templates.py); the built-in wording is used otherwise.
CREATE TABLE IF NOT EXISTS letter_templates (
    school_id   VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,       -- first_concern | meeting | contract | notice_to_improve
    language    VARCHAR NOT NULL,       -- 'English' or the family's language as the pupils file names it
    subject     VARCHAR NOT NULL,
    body        VARCHAR NOT NULL,       -- paragraphs with {placeholders}
    updated_by  VARCHAR,
    updated_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (school_id, kind, language)
);

-- Files made before these columns existed (CREATE TABLE IF NOT EXISTS leaves their tables as they were).
ALTER TABLE import_log ADD COLUMN IF NOT EXISTS imported_by VARCHAR;
ALTER TABLE session_marks ADD COLUMN IF NOT EXISTS recorded_by VARCHAR;
ALTER TABLE pupils ADD COLUMN IF NOT EXISTS language VARCHAR;  -- the family's (pupils file), as a name
ALTER TABLE letter_templates ADD COLUMN IF NOT EXISTS salutation VARCHAR;  -- NULL: the built-in greeting
ALTER TABLE letter_templates ADD COLUMN IF NOT EXISTS signoff VARCHAR;
ALTER TABLE letter_templates ADD COLUMN IF NOT EXISTS signature VARCHAR;

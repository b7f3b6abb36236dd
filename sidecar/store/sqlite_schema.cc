// The store's schema, as the ordered list of migrations that build it.
//
// Conventions, the same in every table:
//   - Instants (*_at, as_of) are INTEGER Unix microseconds, UTC; NULL when
//     an optional time is absent. Calendar days (engagement.period_start)
//     are TEXT 'YYYY-MM-DD': a day is not an instant.
//   - Enums are stored by their lower-case names ('key', 'inbound',
//     'pending'), checked by CHECK constraints, so the file reads well in
//     the sqlite3 shell and survives reordering of the C++ enums.
//   - Booleans are INTEGER 0/1.
//   - Tables are STRICT: a value of the wrong type is an error, not a
//     silent conversion.
//   - CRM record tables are WITHOUT ROWID with the CRM id as primary key:
//     one b-tree per table instead of a rowid tree plus an id index, and a
//     scan returns records ordered by id, which Apply and LoadCustomerData
//     use to merge instead of looking ids up one by one.
//   - Ledger tables keep their rowid: it is the insertion order, which
//     breaks ties between records created at the same instant.
#include "sidecar/store/sqlite_store.h"

namespace pulse {
namespace {

constexpr char kInitialSchema[] = R"sql(
CREATE TABLE users (
  id              TEXT NOT NULL PRIMARY KEY,
  name            TEXT NOT NULL,
  email           TEXT NOT NULL,
  active          INTEGER NOT NULL CHECK (active IN (0, 1)),
  weekly_capacity INTEGER
) STRICT, WITHOUT ROWID;

CREATE TABLE accounts (
  id             TEXT NOT NULL PRIMARY KEY,
  name           TEXT NOT NULL,
  owner_id       TEXT NOT NULL,
  industry       TEXT NOT NULL,
  country        TEXT NOT NULL,
  created_at     INTEGER,
  crm_tier       TEXT NOT NULL CHECK (crm_tier IN ('', 'key', 'mid', 'tail')),
  do_not_contact INTEGER NOT NULL CHECK (do_not_contact IN (0, 1))
) STRICT, WITHOUT ROWID;

CREATE TABLE contacts (
  id         TEXT NOT NULL PRIMARY KEY,
  account_id TEXT NOT NULL,
  name       TEXT NOT NULL,
  email      TEXT NOT NULL,
  role       TEXT NOT NULL,
  active     INTEGER NOT NULL CHECK (active IN (0, 1)),
  updated_at INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX contacts_by_account ON contacts (account_id);

CREATE TABLE orders (
  id         TEXT NOT NULL PRIMARY KEY,
  account_id TEXT NOT NULL,
  ordered_at INTEGER NOT NULL,
  amount     REAL NOT NULL,
  currency   TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX orders_by_account ON orders (account_id, ordered_at);

-- Lines belong to their order: deleting the order deletes them (trigger
-- below). Not a foreign key: checking the parent on every line insert
-- doubled the cost of a first sync's millions of lines, and the store only
-- ever writes lines right after their order, in the same transaction.
CREATE TABLE order_lines (
  order_id TEXT NOT NULL,
  line_no  INTEGER NOT NULL,
  sku      TEXT NOT NULL,
  product  TEXT NOT NULL,
  quantity REAL NOT NULL,
  amount   REAL NOT NULL,
  PRIMARY KEY (order_id, line_no)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER order_lines_follow_order AFTER DELETE ON orders BEGIN
  DELETE FROM order_lines WHERE order_id = OLD.id;
END;

CREATE TABLE cases (
  id                TEXT NOT NULL PRIMARY KEY,
  account_id        TEXT NOT NULL,
  opened_at         INTEGER NOT NULL,
  first_response_at INTEGER,
  closed_at         INTEGER,
  status            TEXT NOT NULL,
  category          TEXT NOT NULL,
  priority          TEXT NOT NULL,
  subject           TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX cases_by_account ON cases (account_id);

CREATE TABLE activities (
  id          TEXT NOT NULL PRIMARY KEY,
  account_id  TEXT NOT NULL,
  type        TEXT NOT NULL CHECK (type IN ('call', 'meeting', 'email', 'note')),
  direction   TEXT NOT NULL CHECK (direction IN ('', 'inbound', 'outbound')),
  occurred_at INTEGER NOT NULL,
  user_id     TEXT NOT NULL,
  subject     TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX activities_by_account ON activities (account_id, occurred_at);

CREATE TABLE engagement (
  id           TEXT NOT NULL PRIMARY KEY,
  account_id   TEXT NOT NULL,
  period_start TEXT NOT NULL,
  sent         INTEGER NOT NULL,
  opened       INTEGER NOT NULL,
  clicked      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX engagement_by_account ON engagement (account_id, period_start);

CREATE TABLE feedback (
  id          TEXT NOT NULL PRIMARY KEY,
  account_id  TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  score       REAL NOT NULL,
  scale       TEXT NOT NULL CHECK (scale IN ('nps', 'csat')),
  comment     TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX feedback_by_account ON feedback (account_id, received_at);

-- One row per entity ever synced ('users', 'orders', ...).
CREATE TABLE watermarks (
  entity    TEXT NOT NULL PRIMARY KEY,
  watermark TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- active_contact_ids: the sorted ids, each followed by ';', with '\' and ';'
-- inside an id escaped by a '\'. ("c1;c2;"; '' is no contacts.)
CREATE TABLE account_snapshots (
  id                 INTEGER PRIMARY KEY,
  account_id         TEXT NOT NULL,
  owner_id           TEXT NOT NULL,
  active_contact_ids TEXT NOT NULL,
  observed_at        INTEGER NOT NULL
) STRICT;
CREATE INDEX account_snapshots_by_account ON account_snapshots (account_id, observed_at);

CREATE TABLE sweeps (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER,
  as_of       INTEGER NOT NULL,
  dry_run     INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
  status      TEXT NOT NULL,
  report_json TEXT NOT NULL
) STRICT;

-- The task outbox: request fields, then the engine's reasons, then delivery.
CREATE TABLE tasks (
  key             TEXT NOT NULL PRIMARY KEY,
  account_id      TEXT NOT NULL,
  assignee_id     TEXT NOT NULL,
  type            TEXT NOT NULL CHECK (type IN ('call', 'meeting', 'email_draft', 'todo')),
  due_at          INTEGER NOT NULL,
  subject         TEXT NOT NULL,
  description     TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  action          TEXT NOT NULL,
  reasons         TEXT NOT NULL,
  sweep_id        INTEGER NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts        INTEGER NOT NULL,
  last_error      TEXT NOT NULL,
  next_attempt_at INTEGER,
  crm_id          TEXT NOT NULL,
  delivered_at    INTEGER
) STRICT;
CREATE INDEX tasks_by_account ON tasks (account_id, created_at);
CREATE INDEX tasks_by_created ON tasks (created_at);
CREATE INDEX tasks_by_status ON tasks (status, created_at);

CREATE TABLE owner_changes (
  key             TEXT NOT NULL PRIMARY KEY,
  account_id      TEXT NOT NULL,
  from_owner_id   TEXT NOT NULL,
  to_owner_id     TEXT NOT NULL,
  changed_at      INTEGER NOT NULL,
  plan_id         TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts        INTEGER NOT NULL,
  last_error      TEXT NOT NULL,
  next_attempt_at INTEGER,
  delivered_at    INTEGER
) STRICT;
CREATE INDEX owner_changes_by_account ON owner_changes (account_id, changed_at);
CREATE INDEX owner_changes_by_status ON owner_changes (status, changed_at);

CREATE TABLE meta (
  key   TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
) STRICT, WITHOUT ROWID;
)sql";

// Version 2: the holdout and the contact decisions the uplift report
// compares.
constexpr char kHoldoutSchema[] = R"sql(
CREATE TABLE holdout_assignments (
  account_id  TEXT NOT NULL PRIMARY KEY,
  arm         TEXT NOT NULL CHECK (arm IN ('treatment', 'holdout')),
  tier        TEXT NOT NULL,
  share       REAL NOT NULL,
  assigned_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE contact_decisions (
  key               TEXT NOT NULL PRIMARY KEY,
  account_id        TEXT NOT NULL,
  action            TEXT NOT NULL,
  tier              TEXT NOT NULL,
  arm               TEXT NOT NULL CHECK (arm IN ('treatment', 'holdout')),
  backfill          INTEGER NOT NULL,
  decided_at        INTEGER NOT NULL,
  sweep_id          INTEGER NOT NULL,
  churn_probability REAL NOT NULL,
  annual_value      REAL NOT NULL
) STRICT;
CREATE INDEX contact_decisions_by_time ON contact_decisions (decided_at);
)sql";

// Version 3: handoff plans (docs/HANDOFF.md), their accounts and the
// recipients' loads before the plan, the watch periods of handed-over
// accounts, and the audit log. The owner changes and intro tasks a plan
// applies go through the existing outboxes (owner_changes.plan_id, tasks).
constexpr char kHandoffSchema[] = R"sql(
CREATE TABLE handoff_plans (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  from_user_id   TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('planned', 'applying', 'applied', 'reverting', 'reverted',
                                                 'discarded')),
  effective_day  TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  requested_by   TEXT NOT NULL,
  sweep_id       INTEGER NOT NULL
) STRICT;

CREATE TABLE handoff_accounts (
  plan_id           INTEGER NOT NULL,
  account_id        TEXT NOT NULL,
  account_name      TEXT NOT NULL,
  tier              TEXT NOT NULL,
  annual_value      REAL NOT NULL,
  churn_probability REAL NOT NULL,
  weight            REAL NOT NULL,
  to_user_id        TEXT NOT NULL,
  reason            TEXT NOT NULL,
  PRIMARY KEY (plan_id, account_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE handoff_loads (
  plan_id             INTEGER NOT NULL,
  user_id             TEXT NOT NULL,
  name                TEXT NOT NULL,
  weekly_capacity     INTEGER NOT NULL,
  key_account_holder  INTEGER NOT NULL CHECK (key_account_holder IN (0, 1)),
  accounts_before     INTEGER NOT NULL,
  annual_value_before REAL NOT NULL,
  load_before         REAL NOT NULL,
  capacity            REAL NOT NULL,
  PRIMARY KEY (plan_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE handoff_watches (
  account_id TEXT NOT NULL PRIMARY KEY,
  plan_id    INTEGER NOT NULL,
  until      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE handoff_audit (
  id           INTEGER PRIMARY KEY,
  plan_id      INTEGER NOT NULL,
  at           INTEGER NOT NULL,
  requested_by TEXT NOT NULL,
  action       TEXT NOT NULL,
  detail       TEXT NOT NULL
) STRICT;
CREATE INDEX handoff_audit_by_plan ON handoff_audit (plan_id, at);
CREATE INDEX owner_changes_by_plan ON owner_changes (plan_id);
)sql";

// Version 4: the account page (docs/ACCOUNT_VIEW.md). The sparse score
// history, with each account's last record kept apart in score_latest so a
// sweep reads them in one ordered scan however long the history grows; and
// the decisions of one account found by its id.
constexpr char kAccountViewSchema[] = R"sql(
CREATE TABLE score_history (
  account_id        TEXT NOT NULL,
  as_of             INTEGER NOT NULL,
  sweep_id          INTEGER NOT NULL,
  churn_probability REAL NOT NULL,
  value_at_risk     REAL NOT NULL,
  tier              TEXT NOT NULL CHECK (tier IN ('key', 'mid', 'tail')),
  PRIMARY KEY (account_id, as_of)
) STRICT, WITHOUT ROWID;

CREATE TABLE score_latest (
  account_id        TEXT NOT NULL PRIMARY KEY,
  as_of             INTEGER NOT NULL,
  churn_probability REAL NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX contact_decisions_by_account ON contact_decisions (account_id, decided_at);
)sql";

constexpr StoreMigration kMigrations[] = {
    {"initial schema", kInitialSchema},
    {"holdout and contact decisions", kHoldoutSchema},
    {"handoff plans, watches and audit", kHandoffSchema},
    {"score history and decisions by account", kAccountViewSchema},
};

}  // namespace

absl::Span<const StoreMigration> StoreMigrations() { return kMigrations; }

}  // namespace pulse

// The demo data generator: a realistic CRM of a Nordic industrial-supplies
// wholesaler (sellers, accounts, contacts, orders with lines, cases,
// activities, newsletter engagement, feedback) with known scenarios injected
// (fading, stopped, complaints, contact gaps, a departed seller...), so that
// Pulse can be shown, tested and benchmarked without a real CRM.
//
// Generation is deterministic: the same DemoParams give the same records and
// byte-identical files with any standard library. Accounts are generated one
// at a time from their own random stream, so a data set of a million accounts
// can be streamed to disk without holding it in memory.
#ifndef PULSE_SIDECAR_DEMO_DEMO_DATA_H_
#define PULSE_SIDECAR_DEMO_DEMO_DATA_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "sidecar/domain/records.h"

namespace pulse {

struct DemoParams {
  int accounts = 1000;  // 10 .. 2,000,000
  uint64_t seed = 1;
  // The data ends on this day, inclusive: nothing is dated later. The CLI
  // passes today.
  absl::CivilDay end_day;
  int years_of_history = 3;  // >= 1
};

// The story injected into an account: what Pulse should (or should not)
// notice about it.
enum class DemoScenario {
  kSteady = 0,          // orders at its usual cadence
  kFading = 1,          // gaps lengthen and amounts shrink from fade_start, then stop
  kStopped = 2,         // orders stop abruptly on fade_start, 2-6 months ago
  kComplaints = 3,      // a burst of cases from fade_start, then lower orders
  kContactGap = 4,      // the owner's contact activities stop on fade_start (6+ months ago)
  kKeyContactLeft = 5,  // the buyer left on fade_start (contact deactivated)
  kGrowing = 6,         // orders rising
  kSeasonal = 7,        // orders only in a few months of each year
  kNew = 8,             // created in the last ~90 days, 1-3 orders
  kOwnerLeft = 9,       // owned by the departed seller, who left on fade_start
};
// "steady", "fading", "stopped", "complaints", "contact_gap",
// "key_contact_left", "growing", "seasonal", "new", "owner_left".
absl::string_view DemoScenarioName(DemoScenario scenario);
std::optional<DemoScenario> ParseDemoScenario(absl::string_view name);

// What the generator knows about one account that the CRM data only implies.
struct DemoAccountTruth {
  std::string account_id;
  DemoScenario scenario = DemoScenario::kSteady;
  // When the story starts (see DemoScenario); absent for steady, growing,
  // seasonal and new accounts.
  std::optional<absl::CivilDay> fade_start;
  // The tier the account was generated as (the CRM field is mostly empty).
  Tier tier = Tier::kTail;
};

// Ground truth for tests and backtests. Pulse itself never reads it.
struct DemoTruth {
  std::vector<DemoAccountTruth> accounts;  // in account order, one per account
  std::vector<std::string> pool_user_ids;  // customer-service users, own no accounts
  std::string departed_user_id;            // the inactive seller who still owns accounts
};

// One account and everything that refers to it.
struct DemoAccountRecords {
  Account account;
  std::vector<Contact> contacts;
  std::vector<Order> orders;  // by time; lines sum to the amount to the cent
  std::vector<Case> cases;
  std::vector<Activity> activities;
  std::vector<EngagementPeriod> engagement;
  std::vector<Feedback> feedback;
  DemoAccountTruth truth;
};

// Receives the generated data, users first, then accounts in order.
class DemoRecordSink {
 public:
  DemoRecordSink() = default;
  DemoRecordSink(const DemoRecordSink&) = delete;
  DemoRecordSink& operator=(const DemoRecordSink&) = delete;
  virtual ~DemoRecordSink() = default;

  // Called once, first, with every user (sellers, then the customer-service
  // pool), the pool's ids and the departed seller's id.
  virtual absl::Status AddUsers(const std::vector<User>& users, const std::vector<std::string>& pool_user_ids,
                                const std::string& departed_user_id) = 0;
  // Called once per account. `*records` is reused for the next account: copy
  // or move out what you keep. A non-OK status stops the generation.
  virtual absl::Status AddAccount(DemoAccountRecords* records) = 0;
};

// OK, or InvalidArgument naming the bad parameter: accounts outside
// 10..2,000,000, years_of_history outside 1..50, an end day out of range.
absl::Status ValidateDemoParams(const DemoParams& params);

// Generates the data set and hands it to `sink` piece by piece, holding one
// account at a time. InvalidArgument for bad params; otherwise the first
// non-OK status the sink returns.
absl::Status StreamDemoData(const DemoParams& params, DemoRecordSink* sink);

// Generates the whole data set in memory. Meant for up to ~100,000 accounts;
// use WriteDemoDataset or StreamDemoData for more. When `truth` is not null it
// receives the ground truth. InvalidArgument for bad params.
absl::StatusOr<CustomerData> GenerateDemoData(const DemoParams& params, DemoTruth* truth);

// What WriteDemoDataset wrote.
struct DemoSummary {
  std::string dir;
  int64_t users = 0;
  int64_t accounts = 0;
  int64_t contacts = 0;
  int64_t orders = 0;
  int64_t order_lines = 0;
  int64_t cases = 0;
  int64_t activities = 0;
  int64_t engagement = 0;
  int64_t feedback = 0;
  std::vector<std::string> pool_user_ids;
  std::string departed_user_id;
  std::map<std::string, int64_t> accounts_by_scenario;  // by DemoScenarioName
};

// The files WriteDemoDataset writes, in the order it writes them.
const std::vector<std::string>& DemoDatasetFiles();

// Writes the data set as CSV files (see DemoDatasetFiles) in `dir`, which is
// created when missing, streaming account by account. Each file is written
// under a temporary name and renamed into place at the end.
// InvalidArgument for bad params; FailedPrecondition when `dir` already holds
// users.csv and `overwrite` is false; Internal when a file cannot be created
// or written (the message names it and the system's reason).
// `transform`, when set, may change each account's records before they are
// written (the contact-effect simulation uses it).
using DemoAccountTransform = std::function<void(DemoAccountRecords*)>;
absl::StatusOr<DemoSummary> WriteDemoDataset(const DemoParams& params, const std::string& dir,
                                             bool overwrite, const DemoAccountTransform& transform = {});

}  // namespace pulse

#endif  // PULSE_SIDECAR_DEMO_DEMO_DATA_H_

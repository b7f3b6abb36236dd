// The account brief: what a new owner reads in two minutes before the intro
// call. Markdown, built only from the account's own records and its
// assessment; it becomes the description of the handover intro task.
#ifndef PULSE_SIDECAR_ENGINE_ACCOUNT_BRIEF_H_
#define PULSE_SIDECAR_ENGINE_ACCOUNT_BRIEF_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/civil_time.h"
#include "sidecar/domain/records.h"
#include "sidecar/engine/assessment.h"

namespace pulse {

// An open task on the account, as the brief lists it.
struct BriefTask {
  std::string subject;
  std::string assignee_id;
  absl::CivilDay due_day;
};

// One account's records. Vectors hold only this account's records, in any
// order; the brief sorts what it shows.
struct AccountBriefInput {
  Account account;
  const AccountAssessment* assessment = nullptr;  // may be null (not scored yet)
  std::vector<Contact> contacts;
  std::vector<Order> orders;
  std::vector<Case> cases;
  std::vector<Activity> activities;
  std::vector<BriefTask> open_tasks;
  const absl::flat_hash_map<std::string, User>* users = nullptr;  // names; may be null
  std::string previous_owner_id;
  std::string new_owner_id;
  absl::CivilDay as_of;
};

// The brief: a title, then short sections (the relationship, orders, cases,
// contacts, risk, open tasks, what the previous owner last did). Sections
// without data say so in one line rather than disappear, so the reader knows
// it was looked at. Ends with "Pulse task key: <key>" when `task_key` is set.
std::string AccountBrief(const AccountBriefInput& input, const std::string& task_key);

// The input for one account, picked out of all records.
AccountBriefInput BriefInputFor(const CustomerData& data, const std::string& account_id);

}  // namespace pulse

#endif  // PULSE_SIDECAR_ENGINE_ACCOUNT_BRIEF_H_

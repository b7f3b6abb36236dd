// An in-memory CrmAdapter for tests: holds records, returns full snapshots,
// stores written tasks by key, and fails on demand the way real CRMs do
// (down, refusing writes, or accepting a write and then timing out).
#ifndef PULSE_TESTS_TESTING_MEMORY_CRM_H_
#define PULSE_TESTS_TESTING_MEMORY_CRM_H_

#include <algorithm>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "adapters/crm_adapter.h"

namespace pulse::testing {

// The CRM's state, shared between the test and the adapter it hands out.
struct MemoryCrmState {
  absl::Mutex mu;
  CustomerData data;
  std::map<std::string, TaskRequest> tasks;  // by key
  std::vector<std::string> task_write_log;   // every key a WriteTask call carried
  std::map<std::string, std::string> owners;  // account -> owner after ChangeOwner
  std::vector<RejectedRecord> rejected_orders;  // returned with every order read
  // Reads return only the records appended to `data` since the previous read
  // (an incremental CRM); false = the whole set as a full snapshot each time.
  bool incremental = false;
  // Faults.
  std::optional<absl::Status> read_error;            // every read fails with it
  std::map<Entity, absl::Status> entity_errors;      // one entity's read fails
  int fail_next_writes = 0;                          // that many WriteTask calls fail...
  absl::Status write_error = absl::UnavailableError("CRM is down");  // ...with this
  int accept_then_timeout = 0;  // that many writes are stored, then DeadlineExceeded
  // When set, every read waits until it is notified: a CRM that is slow for
  // as long as the test wants.
  absl::Notification* hold_reads = nullptr;
  std::vector<std::string> owner_change_log;  // the key of every ChangeOwner that succeeded
  int fail_next_owner_changes = 0;            // that many ChangeOwner calls fail...
  absl::Status owner_change_error = absl::UnavailableError("CRM is down");  // ...with this
};

class MemoryCrm final : public CrmAdapter {
 public:
  explicit MemoryCrm(std::shared_ptr<MemoryCrmState> state) : state_(std::move(state)) {}

  std::string Name() const override { return "memory"; }
  std::string TaskDestination() const override { return "the in-memory CRM"; }
  Capabilities GetCapabilities() const override {
    Capabilities c;
    c.contacts = c.cases = c.activities = c.engagement = c.feedback = c.order_lines = true;
    c.deletions = true;
    return c;
  }
  absl::Status Ping() override { return state_->read_error.value_or(absl::OkStatus()); }

  absl::StatusOr<ChangeBatch<User>> ReadUsers(const ReadParams& p) override {
    return Read(Entity::kUsers, &CustomerData::users);
  }
  absl::StatusOr<ChangeBatch<Account>> ReadAccounts(const ReadParams& p) override {
    auto batch = Read(Entity::kAccounts, &CustomerData::accounts);
    if (batch.ok()) {
      absl::MutexLock lock(&state_->mu);
      for (Account& a : batch->upserts) {
        if (auto it = state_->owners.find(a.id); it != state_->owners.end()) a.owner_id = it->second;
      }
    }
    return batch;
  }
  absl::StatusOr<ChangeBatch<Contact>> ReadContacts(const ReadParams& p) override {
    return Read(Entity::kContacts, &CustomerData::contacts);
  }
  absl::StatusOr<ChangeBatch<Order>> ReadOrders(const ReadParams& p) override {
    auto batch = Read(Entity::kOrders, &CustomerData::orders);
    if (batch.ok()) {
      absl::MutexLock lock(&state_->mu);
      batch->rejected = state_->rejected_orders;
    }
    return batch;
  }
  absl::StatusOr<ChangeBatch<Case>> ReadCases(const ReadParams& p) override {
    return Read(Entity::kCases, &CustomerData::cases);
  }
  absl::StatusOr<ChangeBatch<Activity>> ReadActivities(const ReadParams& p) override {
    return Read(Entity::kActivities, &CustomerData::activities);
  }
  absl::StatusOr<ChangeBatch<EngagementPeriod>> ReadEngagement(const ReadParams& p) override {
    return Read(Entity::kEngagement, &CustomerData::engagement);
  }
  absl::StatusOr<ChangeBatch<Feedback>> ReadFeedback(const ReadParams& p) override {
    return Read(Entity::kFeedback, &CustomerData::feedback);
  }

  absl::StatusOr<TaskWriteResult> WriteTask(const TaskRequest& task) override {
    absl::MutexLock lock(&state_->mu);
    state_->task_write_log.push_back(task.key);
    if (state_->fail_next_writes > 0) {
      --state_->fail_next_writes;
      return state_->write_error;
    }
    if (state_->tasks.count(task.key) > 0) return TaskWriteResult{task.key, true};
    state_->tasks[task.key] = task;
    if (state_->accept_then_timeout > 0) {
      --state_->accept_then_timeout;
      return absl::DeadlineExceededError("CRM timed out after accepting the write");
    }
    return TaskWriteResult{task.key, false};
  }

  absl::StatusOr<OwnerChangeResult> ChangeOwner(const OwnerChangeRequest& change) override {
    absl::MutexLock lock(&state_->mu);
    if (state_->fail_next_owner_changes > 0) {
      --state_->fail_next_owner_changes;
      return state_->owner_change_error;
    }
    state_->owners[change.account_id] = change.to_owner_id;
    state_->owner_change_log.push_back(change.key);
    return OwnerChangeResult{};
  }

 private:
  template <typename T>
  absl::StatusOr<ChangeBatch<T>> Read(Entity e, std::vector<T> CustomerData::*field) {
    if (state_->hold_reads != nullptr) state_->hold_reads->WaitForNotification();
    absl::MutexLock lock(&state_->mu);
    if (state_->read_error.has_value()) return *state_->read_error;
    if (auto it = state_->entity_errors.find(e); it != state_->entity_errors.end()) return it->second;
    ChangeBatch<T> batch;
    const std::vector<T>& all = state_->data.*field;
    if (state_->incremental) {
      // Only what was appended since the last read.
      size_t& delivered = delivered_[e];
      batch.upserts.assign(all.begin() + static_cast<std::ptrdiff_t>(std::min(delivered, all.size())), all.end());
      delivered = all.size();
    } else {
      batch.upserts = all;
      batch.full_snapshot = true;
    }
    batch.watermark = absl::StrCat("v", ++reads_);
    return batch;
  }

  std::shared_ptr<MemoryCrmState> state_;
  int reads_ = 0;
  std::map<Entity, size_t> delivered_;  // records already read, when incremental
};

}  // namespace pulse::testing

#endif  // PULSE_TESTS_TESTING_MEMORY_CRM_H_

// The contact queue's positions by the filters the API offers (assignee, tier,
// action, and whether entries without a task are included), built once per
// plan so that a page of ListContactQueue costs the page, not the whole queue.
#ifndef PULSE_SIDECAR_ENGINE_QUEUE_INDEX_H_
#define PULSE_SIDECAR_ENGINE_QUEUE_INDEX_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "sidecar/domain/records.h"
#include "sidecar/engine/assessment.h"
#include "sidecar/engine/planner.h"

namespace pulse {

// Which queue entries a listing shows; unset fields match everything.
struct QueueFilter {
  // False: only entries that are or will be someone's task (planned, already
  // open, unassigned); true: also deferred, suppressed and held-out ones.
  bool include_all = false;
  std::string assignee_id;
  std::optional<Tier> tier;  // the account's tier
  std::optional<ActionKind> action;
};

// Whether `item` (of an account with `tier`) passes `filter`: the definition
// the index answers by.
bool MatchesQueueFilter(const QueueItem& item, Tier tier, const QueueFilter& filter);

// Immutable once built; safe to read from any number of threads.
class ContactQueueIndex {
 public:
  // An empty index (an empty queue).
  ContactQueueIndex() = default;
  // Indexes `plan.queue`; `portfolio` gives each account's tier. Linear in the
  // queue's length.
  ContactQueueIndex(const ContactPlan& plan, const Portfolio& portfolio);

  struct Page {
    std::vector<size_t> positions;  // into plan.queue, ascending (by rank)
    int64_t total = 0;              // entries matching the filter
  };

  // The matching entries from the `offset`-th (0-based) on, at most `limit` of
  // them, and how many match in all. Costs O(limit) without an assignee; with
  // one, O(that assignee's entries).
  Page Find(const QueueFilter& filter, int64_t offset, int64_t limit) const;

 private:
  static uint32_t Key(bool include_all, std::optional<Tier> tier, std::optional<ActionKind> action);

  // Positions by (include_all, tier or any, action or any).
  absl::flat_hash_map<uint32_t, std::vector<uint32_t>> by_key_;
  // Positions by assignee, for include_all false [0] and true [1].
  absl::flat_hash_map<std::string, std::vector<uint32_t>> by_assignee_[2];
  struct Attributes {
    Tier tier;
    ActionKind action;
  };
  std::vector<Attributes> attributes_;  // by position
};

}  // namespace pulse

#endif  // PULSE_SIDECAR_ENGINE_QUEUE_INDEX_H_

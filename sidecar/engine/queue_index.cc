#include "sidecar/engine/queue_index.h"

#include <algorithm>

namespace pulse {
namespace {

bool ShownByDefault(PlanStatus status) {
  return status == PlanStatus::kTaskPlanned || status == PlanStatus::kAlreadyOpen ||
         status == PlanStatus::kUnassigned;
}

}  // namespace

bool MatchesQueueFilter(const QueueItem& item, Tier tier, const QueueFilter& filter) {
  if (!filter.include_all && !ShownByDefault(item.status)) return false;
  if (!filter.assignee_id.empty() && item.assignee_id != filter.assignee_id) return false;
  if (filter.tier.has_value() && tier != *filter.tier) return false;
  if (filter.action.has_value() && item.action != *filter.action) return false;
  return true;
}

uint32_t ContactQueueIndex::Key(bool include_all, std::optional<Tier> tier, std::optional<ActionKind> action) {
  // 0 stands for "any"; the enums' values are small and non-negative.
  const uint32_t t = tier.has_value() ? static_cast<uint32_t>(*tier) + 1 : 0;
  const uint32_t a = action.has_value() ? static_cast<uint32_t>(*action) + 1 : 0;
  return (include_all ? 1u << 16 : 0u) | (t << 8) | a;
}

ContactQueueIndex::ContactQueueIndex(const ContactPlan& plan, const Portfolio& portfolio) {
  attributes_.reserve(plan.queue.size());
  for (size_t i = 0; i < plan.queue.size(); ++i) {
    const QueueItem& item = plan.queue[i];
    const Tier tier = portfolio.accounts[item.account].tier;
    attributes_.push_back(Attributes{tier, item.action});
    const uint32_t position = static_cast<uint32_t>(i);
    for (const bool include_all : {false, true}) {
      if (!include_all && !ShownByDefault(item.status)) continue;
      for (const std::optional<Tier> t : {std::optional<Tier>(), std::optional<Tier>(tier)}) {
        for (const std::optional<ActionKind> a : {std::optional<ActionKind>(), std::optional<ActionKind>(item.action)}) {
          by_key_[Key(include_all, t, a)].push_back(position);
        }
      }
      if (!item.assignee_id.empty()) by_assignee_[include_all ? 1 : 0][item.assignee_id].push_back(position);
    }
  }
}

ContactQueueIndex::Page ContactQueueIndex::Find(const QueueFilter& filter, int64_t offset, int64_t limit) const {
  Page page;
  offset = std::max<int64_t>(offset, 0);
  limit = std::max<int64_t>(limit, 0);
  if (filter.assignee_id.empty()) {
    auto it = by_key_.find(Key(filter.include_all, filter.tier, filter.action));
    if (it == by_key_.end()) return page;
    const std::vector<uint32_t>& positions = it->second;
    page.total = static_cast<int64_t>(positions.size());
    for (int64_t i = offset; i < page.total && i < offset + limit; ++i) {
      page.positions.push_back(positions[static_cast<size_t>(i)]);
    }
    return page;
  }
  auto it = by_assignee_[filter.include_all ? 1 : 0].find(filter.assignee_id);
  if (it == by_assignee_[filter.include_all ? 1 : 0].end()) return page;
  for (const uint32_t position : it->second) {
    const Attributes& a = attributes_[position];
    if (filter.tier.has_value() && a.tier != *filter.tier) continue;
    if (filter.action.has_value() && a.action != *filter.action) continue;
    if (page.total >= offset && page.total < offset + limit) page.positions.push_back(position);
    ++page.total;
  }
  return page;
}

}  // namespace pulse

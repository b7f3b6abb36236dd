#include "sidecar/engine/handoff.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace pulse {
namespace {

std::string AffinityKey(const HandoffAccount& a, const std::string& affinity) {
  if (affinity == "country") return a.country;
  if (affinity == "industry") return a.industry;
  return "";
}

}  // namespace

double HandoffWeight(const HandoffAccount& account, double mean_value, double mean_churn,
                     const HandoffPolicy& policy) {
  const double total = policy.value_weight + policy.account_weight + policy.risk_weight;
  if (total <= 0) return 1;
  const double value = mean_value > 0 ? std::max(0.0, account.annual_value) / mean_value : 1;
  const double risk = mean_churn > 0 ? account.churn_probability / mean_churn : 1;
  return (policy.value_weight * value + policy.account_weight + policy.risk_weight * risk) / total;
}

absl::StatusOr<HandoffDistribution> DistributeHandoff(const HandoffInput& input) {
  const HandoffPolicy& policy = input.policy;
  if (input.recipients.empty()) {
    return absl::InvalidArgumentError("to_user_ids: there is no recipient to hand the accounts to");
  }
  std::map<std::string, size_t> recipient_index;  // ordered: ties go to the smallest id
  for (size_t i = 0; i < input.recipients.size(); ++i) {
    const HandoffRecipient& r = input.recipients[i];
    if (r.user_id == input.from_user_id) {
      return absl::InvalidArgumentError(
          absl::StrCat("to_user_ids: ", r.user_id, " is the departing owner and cannot be a recipient"));
    }
    if (r.weekly_capacity <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("to_user_ids: ", r.user_id, " has no weekly capacity and cannot take accounts"));
    }
    recipient_index.emplace(r.user_id, i);
  }

  // The team's averages, over the books that take part.
  double value_sum = 0;
  double churn_sum = 0;
  int64_t n = 0;
  for (const HandoffAccount& a : input.accounts) {
    if (a.owner_id != input.from_user_id && recipient_index.count(a.owner_id) == 0) continue;
    value_sum += std::max(0.0, a.annual_value);
    churn_sum += a.churn_probability;
    ++n;
  }
  const double mean_value = n > 0 ? value_sum / n : 0;
  const double mean_churn = n > 0 ? churn_sum / n : 0;

  HandoffDistribution out;
  out.loads.resize(input.recipients.size());
  std::vector<std::map<std::string, int>> affinity_counts(input.recipients.size());
  std::vector<bool> holds_key(input.recipients.size(), false);
  std::vector<const HandoffAccount*> departing;
  double total_load = 0;
  for (const HandoffAccount& a : input.accounts) {
    const double w = HandoffWeight(a, mean_value, mean_churn, policy);
    if (a.owner_id == input.from_user_id) {
      departing.push_back(&a);
      total_load += w;
      continue;
    }
    auto it = recipient_index.find(a.owner_id);
    if (it == recipient_index.end()) continue;
    RecipientLoad& l = out.loads[it->second];
    ++l.accounts_before;
    l.annual_value_before += std::max(0.0, a.annual_value);
    l.load_before += w;
    total_load += w;
    if (a.tier == Tier::kKey) holds_key[it->second] = true;
    ++affinity_counts[it->second][AffinityKey(a, policy.affinity)];
  }
  int total_capacity = 0;
  for (const HandoffRecipient& r : input.recipients) total_capacity += r.weekly_capacity;
  const double team_rate = total_load / total_capacity;  // load per weekly task, perfectly level
  const absl::flat_hash_set<std::string> allowed(policy.key_account_holders.begin(),
                                                 policy.key_account_holders.end());
  for (size_t i = 0; i < input.recipients.size(); ++i) {
    const HandoffRecipient& r = input.recipients[i];
    RecipientLoad& l = out.loads[i];
    l.user_id = r.user_id;
    l.name = r.name;
    l.weekly_capacity = r.weekly_capacity;
    l.key_account_holder = allowed.empty() ? holds_key[i] : allowed.contains(r.user_id);
    l.capacity = r.weekly_capacity * team_rate * (1 + policy.capacity_headroom);
    l.accounts_after = l.accounts_before;
    l.annual_value_after = l.annual_value_before;
    l.load_after = l.load_before;
  }

  // Heaviest first, so the big accounts find room; ties by id.
  std::vector<std::pair<double, const HandoffAccount*>> order;
  for (const HandoffAccount* a : departing) order.emplace_back(HandoffWeight(*a, mean_value, mean_churn, policy), a);
  std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) {
    if (x.first != y.first) return x.first > y.first;
    return x.second->account_id < y.second->account_id;
  });
  for (const auto& [weight, account] : order) {
    HandoffAssignment as;
    as.account_id = account->account_id;
    as.weight = weight;
    const bool key = account->tier == Tier::kKey;
    const std::string affinity = AffinityKey(*account, policy.affinity);
    int best = -1;
    double best_score = 0;
    bool best_affine = false;
    int eligible = 0;
    for (const auto& [user, i] : recipient_index) {  // by user id
      RecipientLoad& l = out.loads[i];
      if (key && !l.key_account_holder) continue;
      ++eligible;
      if (l.load_after + weight > l.capacity + 1e-9) continue;  // rounding of a level fill
      double score = (l.load_after + weight) / l.weekly_capacity;
      bool affine = false;
      if (!affinity.empty() && l.accounts_after > 0) {
        auto c = affinity_counts[i].find(affinity);
        if (c != affinity_counts[i].end() && c->second > 0) {
          affine = true;
          score -= policy.affinity_bonus * team_rate * c->second / static_cast<double>(l.accounts_after);
        }
      }
      if (best < 0 || score < best_score) {
        best = static_cast<int>(i);
        best_score = score;
        best_affine = affine;
      }
    }
    if (best < 0) {
      ++out.unassigned;
      as.reason = eligible == 0 ? "no recipient may hold key accounts (set handoff.key_account_holders or move it)"
                                : "no eligible recipient has room within capacity: move it by hand";
      out.assignments.push_back(std::move(as));
      continue;
    }
    RecipientLoad& l = out.loads[best];
    std::vector<std::string> why;
    why.push_back(absl::StrFormat("lowest load relative to capacity (%.2f -> %.2f per weekly task)",
                                  l.RelativeAfter(), (l.load_after + weight) / l.weekly_capacity));
    if (key) why.push_back("holds key accounts");
    if (best_affine) why.push_back(absl::StrCat("same ", policy.affinity, " (", affinity, ")"));
    as.to_user_id = l.user_id;
    as.reason = absl::StrJoin(why, "; ");
    ++l.accounts_after;
    l.annual_value_after += std::max(0.0, account->annual_value);
    l.load_after += weight;
    ++affinity_counts[best][affinity];
    out.assignments.push_back(std::move(as));
  }
  std::sort(out.loads.begin(), out.loads.end(),
            [](const RecipientLoad& x, const RecipientLoad& y) { return x.user_id < y.user_id; });
  return out;
}

void RecomputeHandoffLoads(const std::vector<HandoffAssignment>& assignments,
                           const std::vector<HandoffAccount>& accounts, std::vector<RecipientLoad>* loads) {
  absl::flat_hash_map<std::string, const HandoffAccount*> by_id;
  for (const HandoffAccount& a : accounts) by_id.emplace(a.account_id, &a);
  for (RecipientLoad& l : *loads) {
    l.accounts_after = l.accounts_before;
    l.annual_value_after = l.annual_value_before;
    l.load_after = l.load_before;
    for (const HandoffAssignment& as : assignments) {
      if (as.to_user_id != l.user_id) continue;
      ++l.accounts_after;
      auto it = by_id.find(as.account_id);
      if (it != by_id.end()) l.annual_value_after += std::max(0.0, it->second->annual_value);
      l.load_after += as.weight;
    }
  }
}

std::vector<std::string> DefaultHandoffRecipients(const Portfolio& portfolio, const std::string& from_user_id,
                                                  const std::vector<std::string>& pool_user_ids) {
  const std::set<std::string> pool(pool_user_ids.begin(), pool_user_ids.end());
  std::set<std::string> owners;
  for (const AccountAssessment& a : portfolio.accounts) {
    if (a.owner_id.empty() || a.owner_id == from_user_id || pool.count(a.owner_id) > 0) continue;
    auto u = portfolio.users.find(a.owner_id);
    if (u != portfolio.users.end() && u->second.active) owners.insert(a.owner_id);
  }
  return std::vector<std::string>(owners.begin(), owners.end());
}

absl::StatusOr<HandoffInput> MakeHandoffInput(const Portfolio& portfolio, const std::vector<Account>& accounts,
                                              const std::string& from_user_id,
                                              const std::vector<std::string>& recipients,
                                              const ContactPolicy& contact, const HandoffPolicy& policy) {
  HandoffInput input;
  input.from_user_id = from_user_id;
  input.policy = policy;
  std::set<std::string> seen;
  for (const std::string& id : recipients) {
    if (!seen.insert(id).second) continue;
    auto u = portfolio.users.find(id);
    if (u == portfolio.users.end()) {
      return absl::InvalidArgumentError(absl::StrCat("to_user_ids: '", id, "' is not a CRM user"));
    }
    if (!u->second.active) {
      return absl::InvalidArgumentError(absl::StrCat("to_user_ids: ", id, " is not an active user"));
    }
    HandoffRecipient r;
    r.user_id = id;
    r.name = u->second.name;
    r.weekly_capacity = u->second.weekly_capacity.value_or(contact.default_weekly_capacity);
    input.recipients.push_back(std::move(r));
  }
  absl::flat_hash_map<std::string, const Account*> crm;
  for (const Account& a : accounts) crm.emplace(a.id, &a);
  for (const AccountAssessment& a : portfolio.accounts) {
    if (a.owner_id.empty() || (a.owner_id != from_user_id && seen.count(a.owner_id) == 0)) continue;
    HandoffAccount h;
    h.account_id = a.account_id;
    h.name = a.name;
    h.owner_id = a.owner_id;
    h.tier = a.tier;
    h.annual_value = a.annual_value;
    h.churn_probability = a.churn_probability;
    if (auto it = crm.find(a.account_id); it != crm.end()) {
      h.country = it->second->country;
      h.industry = it->second->industry;
    }
    input.accounts.push_back(std::move(h));
  }
  return input;
}

}  // namespace pulse

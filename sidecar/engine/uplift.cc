#include "sidecar/engine/uplift.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sidecar/common/stable_hash.h"

namespace pulse {
namespace {

constexpr double kZ = 1.959963984540054;

void Add(ArmOutcome& arm, bool ordered, double revenue) {
  ++arm.decisions;
  if (ordered) ++arm.ordered;
  arm.revenue += revenue;
  arm.revenue_sq += revenue * revenue;
}

void Finish(UpliftCell& cell) {
  const ArmOutcome& t = cell.treated;
  const ArmOutcome& h = cell.holdout;
  cell.comparable = t.decisions > 0 && h.decisions > 0;
  if (!cell.comparable) return;
  cell.effect = t.OrderRate() - h.OrderRate();
  cell.effect_ci = NewcombeDifference(t.ordered, t.decisions, h.ordered, h.decisions);
  cell.revenue_effect = t.RevenuePerAccount() - h.RevenuePerAccount();
  auto var_of_mean = [](const ArmOutcome& a) {
    if (a.decisions < 2) return 0.0;
    const double n = static_cast<double>(a.decisions);
    const double mean = a.revenue / n;
    const double var = std::max(0.0, (a.revenue_sq - n * mean * mean) / (n - 1));
    return var / n;
  };
  const double se = std::sqrt(var_of_mean(t) + var_of_mean(h));
  cell.revenue_effect_ci = {cell.revenue_effect - kZ * se, cell.revenue_effect + kZ * se};
}

}  // namespace

Interval WilsonInterval(int64_t k, int64_t n) {
  if (n <= 0) return {0, 1};
  const double p = static_cast<double>(k) / n;
  const double z2 = kZ * kZ;
  const double denom = 1 + z2 / n;
  const double centre = (p + z2 / (2.0 * n)) / denom;
  const double half = kZ * std::sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / denom;
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

Interval NewcombeDifference(int64_t k1, int64_t n1, int64_t k2, int64_t n2) {
  const double p1 = n1 > 0 ? static_cast<double>(k1) / n1 : 0;
  const double p2 = n2 > 0 ? static_cast<double>(k2) / n2 : 0;
  const Interval w1 = WilsonInterval(k1, n1);
  const Interval w2 = WilsonInterval(k2, n2);
  const double d = p1 - p2;
  return {d - std::sqrt((p1 - w1.low) * (p1 - w1.low) + (w2.high - p2) * (w2.high - p2)),
          d + std::sqrt((w1.high - p1) * (w1.high - p1) + (p2 - w2.low) * (p2 - w2.low))};
}

UpliftReport ComputeUplift(const std::vector<ContactDecision>& decisions, const std::vector<Order>& orders,
                           const ContactPolicy& policy, const UpliftParams& params) {
  UpliftReport report;
  report.as_of = params.as_of;
  report.horizon_days = params.horizon_days;
  const absl::Duration horizon = absl::Hours(24) * params.horizon_days;

  // Each decided account's orders, by time.
  absl::flat_hash_map<std::string, std::vector<std::pair<absl::Time, double>>> by_account;
  for (const ContactDecision& d : decisions) by_account.try_emplace(d.account_id);
  for (const Order& o : orders) {
    auto it = by_account.find(o.account_id);
    if (it != by_account.end() && o.ordered_at <= params.as_of) it->second.emplace_back(o.ordered_at, o.amount);
  }
  for (auto& [id, list] : by_account) std::sort(list.begin(), list.end());

  std::map<std::tuple<std::string, std::string>, UpliftCell> cells;
  auto cell = [&](const std::string& action, const std::string& tier) -> UpliftCell& {
    UpliftCell& c = cells[{action, tier}];
    c.action = action;
    c.tier = tier;
    return c;
  };
  // Each account counts once: by its first decision for an action in the
  // action's cells, and by its first decision of any kind in the total.
  // Later decisions about the same account depend on what the first one did
  // (a saved customer is not decided again), so they are not independent.
  std::vector<const ContactDecision*> in_order;
  in_order.reserve(decisions.size());
  for (const ContactDecision& d : decisions) in_order.push_back(&d);
  std::stable_sort(in_order.begin(), in_order.end(),
                   [](const ContactDecision* x, const ContactDecision* y) { return x->decided_at < y->decided_at; });
  absl::flat_hash_set<std::string> seen_action;
  absl::flat_hash_set<std::string> seen_account;
  for (const ContactDecision* p : in_order) {
    const ContactDecision& d = *p;
    const bool first_for_action = seen_action.insert(absl::StrCat(d.account_id, "|", d.action)).second;
    const bool first_for_account = seen_account.insert(d.account_id).second;
    // A backfilled account was treated outside the rule both arms share.
    if (d.backfill) continue;
    std::vector<UpliftCell*> targets;
    if (first_for_action) {
      targets.push_back(&cell(d.action, d.tier));
      targets.push_back(&cell(d.action, ""));
    }
    if (first_for_account) targets.push_back(&cell("", ""));
    if (targets.empty()) continue;
    const bool matured = d.decided_at + horizon <= params.as_of;
    if (!matured) {
      for (UpliftCell* c : targets) ++(d.holdout ? c->holdout : c->treated).maturing;
      continue;
    }
    // Outcome: orders after the decision, within the horizon.
    bool ordered = false;
    double revenue = 0;
    const auto& list = by_account[d.account_id];
    auto it = std::upper_bound(list.begin(), list.end(), std::make_pair(d.decided_at, std::numeric_limits<double>::infinity()));
    for (; it != list.end() && it->first <= d.decided_at + horizon; ++it) {
      ordered = true;
      revenue += it->second;
    }
    for (UpliftCell* c : targets) Add(d.holdout ? c->holdout : c->treated, ordered, revenue);
  }
  // (action, tier) cells first, then per action, then the total.
  for (int pass = 0; pass < 3; ++pass) {
    for (auto& [key, c] : cells) {
      const bool is_total = c.action.empty();
      const bool is_action = !is_total && c.tier.empty();
      const bool is_pair = !is_total && !is_action;
      if ((pass == 0 && is_pair) || (pass == 1 && is_action) || (pass == 2 && is_total)) {
        Finish(c);
        report.cells.push_back(c);
      }
    }
  }

  for (const auto& [action, prior] : policy.effectiveness) {
    ActionEffectiveness e;
    e.action = action;
    e.prior = prior;
    e.used = prior;
    auto it = cells.find({action, ""});
    if (it != cells.end() && it->second.comparable) {
      const UpliftCell& c = it->second;
      e.smaller_arm = std::min(c.treated.decisions, c.holdout.decisions);
      const double churn_h = 1 - c.holdout.OrderRate();
      const double churn_t = 1 - c.treated.OrderRate();
      if (churn_h > 0 && e.smaller_arm >= policy.effect_min_per_arm) {
        e.measured = true;
        e.measured_value = std::clamp((churn_h - churn_t) / churn_h, 0.0, 1.0);
        const double w = static_cast<double>(e.smaller_arm) / (e.smaller_arm + policy.effect_prior_weight);
        e.used = w * e.measured_value + (1 - w) * prior;
      }
    }
    report.effectiveness.push_back(e);
  }
  return report;
}

std::string UpliftSummary(const UpliftReport& report) {
  if (report.cells.empty()) return "";
  const UpliftCell& total = report.cells.back();
  if (!total.comparable) return "";
  return absl::StrFormat(
      "ordered again within %d days: %.0f%% of %d decisions with a task vs %.0f%% of %d held out: %+.1f points "
      "(95%% interval %+.1f to %+.1f)",
      report.horizon_days, 100 * total.treated.OrderRate(), total.treated.decisions, 100 * total.holdout.OrderRate(),
      total.holdout.decisions, 100 * total.effect, 100 * total.effect_ci.low, 100 * total.effect_ci.high);
}

double HoldoutDraw(absl::string_view salt, absl::string_view account_id) {
  // A separator no id starts with between the salt and the id.
  uint64_t h = Fnv1a64(account_id, Fnv1a64(absl::string_view("\x1f", 1), Fnv1a64(salt)));
  // FNV's low bits mix poorly for short inputs; finish with a splitmix64 step.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
}

std::map<std::string, double> EffectivenessOverrides(const UpliftReport& report) {
  std::map<std::string, double> out;
  for (const ActionEffectiveness& e : report.effectiveness) {
    if (e.measured) out[e.action] = e.used;
  }
  return out;
}

}  // namespace pulse

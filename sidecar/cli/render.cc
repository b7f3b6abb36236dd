#include "sidecar/cli/render.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "sidecar/engine/scorer.h"

namespace pulse {
namespace {

std::string Cut(const std::string& s, size_t width) {
  if (s.size() <= width) return s;
  // Do not split a UTF-8 sequence.
  size_t end = width - 1;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end) + "~";
}

// Pads to a display width counting UTF-8 code points, not bytes.
std::string Pad(const std::string& s, size_t width) {
  size_t cps = 0;
  for (unsigned char c : s) cps += (c & 0xC0) != 0x80;
  return cps >= width ? s : s + std::string(width - cps, ' ');
}

std::string EnumSuffix(const std::string& full, absl::string_view prefix) {
  return absl::AsciiStrToLower(absl::StripPrefix(full, prefix));
}

}  // namespace

std::string ActionName(pulse::v1::Action action) {
  if (action == pulse::v1::ACTION_UNSPECIFIED) return "-";
  return EnumSuffix(pulse::v1::Action_Name(action), "ACTION_");
}

std::string TierLabel(pulse::v1::Tier tier) {
  if (tier == pulse::v1::TIER_UNSPECIFIED) return "-";
  return EnumSuffix(pulse::v1::Tier_Name(tier), "TIER_");
}

std::string QueueStatusName(pulse::v1::QueueStatus status) {
  return EnumSuffix(pulse::v1::QueueStatus_Name(status), "QUEUE_STATUS_");
}

std::string RenderQueue(const pulse::v1::ListContactQueueResponse& q) {
  std::string out = absl::StrFormat("%-4s %-28s %-4s %-16s %-14s %5s %12s %-10s %s\n", "#", "account", "tier",
                                    "action", "assignee", "risk", "at risk", "due", "why");
  for (const auto& e : q.entries()) {
    std::string who = e.assignee_id().empty() ? "(nobody)" : e.assignee_id();
    if (e.pool()) who += "*";
    // A proactive entry's why is its own (status_detail), not a risk signal.
    const std::string why = e.proactive()        ? e.status_detail()
                            : e.reasons().empty() ? ""
                                                  : e.reasons(0).evidence();
    std::string due = e.due_date().empty() ? QueueStatusName(e.status()) : e.due_date();
    absl::StrAppend(&out, absl::StrFormat("%-4d ", e.rank()), Pad(Cut(e.account_name(), 28), 28), " ",
                    absl::StrFormat("%-4s %-16s ", TierLabel(e.tier()),
                                    absl::StrCat(ActionName(e.action()), e.proactive() ? "+" : "")),
                    Pad(Cut(who, 14), 14),
                    absl::StrFormat(" %4.0f%% %12s %-10s ", 100 * e.churn_probability(),
                                    FormatMoney(e.value_at_risk(), ""), Cut(due, 10)),
                    Cut(why, 70), "\n");
  }
  absl::StrAppend(&out, absl::StrFormat("%d of %d entries (sweep %d, as of %s)%s\n", q.entries_size(), q.total_size(),
                                        q.sweep_id(), q.as_of(), q.next_page_token().empty() ? "" : "; more on the next page"));
  absl::StrAppend(&out, "* = pool team (the account has no active owner); + = not a risk task (feedback request or "
                       "recognition, in capacity the risk tasks left)\n");
  return out;
}

std::string RenderAccountHealth(const pulse::v1::AccountHealth& h) {
  std::string out;
  absl::StrAppend(&out, h.name(), " (", h.account_id(), ")\n");
  absl::StrAppend(&out, "  tier:               ", TierLabel(h.tier()), "\n");
  absl::StrAppend(&out, "  owner:              ",
                  h.owner_id().empty() ? "(none)"
                                       : absl::StrCat(h.owner_name().empty() ? h.owner_id() : h.owner_name(),
                                                      h.owner_active() ? "" : " (inactive)"),
                  "\n");
  absl::StrAppend(&out, absl::StrFormat("  churn probability:  %.0f %%\n", 100 * h.churn_probability()));
  absl::StrAppend(&out, "  annual value:       ", FormatMoney(h.annual_value(), ""), "\n");
  absl::StrAppend(&out, "  value at risk:      ", FormatMoney(h.value_at_risk(), ""), "\n");
  absl::StrAppend(&out, "  orders:             ", h.orders_total(),
                  h.last_order_date().empty() ? "" : absl::StrCat(", last on ", h.last_order_date()),
                  h.mean_days_between_orders() > 0
                      ? absl::StrFormat(", every %.0f days on average", h.mean_days_between_orders())
                      : "",
                  "\n");
  absl::StrAppend(&out, "  open cases:         ", h.open_cases(), "\n");
  absl::StrAppend(&out, "  last 2-way contact: ",
                  h.last_two_way_contact_date().empty() ? "(none on record)" : h.last_two_way_contact_date(), "\n");
  if (h.do_not_contact()) absl::StrAppend(&out, "  do not contact\n");
  absl::StrAppend(&out, "  signals:\n");
  if (h.signals().empty()) absl::StrAppend(&out, "    (none)\n");
  for (const auto& s : h.signals()) {
    absl::StrAppend(&out, absl::StrFormat("    %-18s %.2f  ", s.signal_id(), s.strength()), s.evidence(), "\n");
  }
  absl::StrAppend(&out, "  recommended:        ", ActionName(h.recommended_action()),
                  h.recommended_reason().empty() ? "" : absl::StrCat(" - ", h.recommended_reason()), "\n");
  if (h.queue_rank() > 0) absl::StrAppend(&out, "  queue rank:         ", h.queue_rank(), "\n");
  if (!h.churn_model().empty()) absl::StrAppend(&out, "  churn model:        ", h.churn_model(), "\n");
  for (const auto& c : h.contributions()) {
    absl::StrAppend(&out, absl::StrFormat("    %-24s %+.2f log-odds\n", c.feature(), c.log_odds()));
  }
  absl::StrAppend(&out, "  Pulse tasks:\n");
  if (h.open_tasks().empty()) absl::StrAppend(&out, "    (none)\n");
  for (const auto& t : h.open_tasks()) {
    absl::StrAppend(&out, "    ", t.due_date(), " ", t.status(), " ", t.assignee_id(), ": ", t.subject(),
                    t.last_error().empty() ? "" : absl::StrCat(" (last error: ", t.last_error(), ")"), "\n");
  }
  absl::StrAppend(&out, "  (sweep ", h.sweep_id(), ", as of ", h.as_of(), ")\n");
  return out;
}

std::string RenderProgressLine(const pulse::v1::SweepProgress& p) {
  std::string out = absl::StrFormat("[%6.1fs] ", p.elapsed_seconds());
  switch (p.phase()) {
    case pulse::v1::SWEEP_PHASE_SYNC: {
      absl::StrAppend(&out, "sync");
      for (const auto& e : p.entities()) {
        absl::StrAppend(&out, " ", e.entity(), " ", e.records_read(), e.done() ? "" : "...");
      }
      break;
    }
    case pulse::v1::SWEEP_PHASE_SCORE:
      absl::StrAppend(&out, "scoring ", p.accounts_scored(), "/", p.accounts_total(), " accounts");
      break;
    case pulse::v1::SWEEP_PHASE_PLAN: absl::StrAppend(&out, "planning the contact queue"); break;
    case pulse::v1::SWEEP_PHASE_DELIVER: absl::StrAppend(&out, "writing tasks"); break;
    case pulse::v1::SWEEP_PHASE_DONE: absl::StrAppend(&out, p.message()); break;
    default: absl::StrAppend(&out, p.message()); break;
  }
  return out;
}

std::string RenderSweeps(const pulse::v1::ListSweepsResponse& r) {
  std::string out = absl::StrFormat("%-6s %-20s %-10s %-9s %-7s %9s %8s %8s\n", "id", "started", "as of", "status",
                                    "dry-run", "accounts", "planned", "written");
  for (const auto& s : r.sweeps()) {
    const std::string started = s.started_at().seconds() > 0
                                    ? absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(s.started_at().seconds()),
                                                       absl::UTCTimeZone())
                                    : "";
    absl::StrAppend(&out, absl::StrFormat("%-6d %-20s %-10s %-9s %-7s %9d %8d %8d\n", s.sweep_id(), started, s.as_of(),
                                          s.status(), s.dry_run() ? "yes" : "no", s.report().accounts_scored(),
                                          s.report().tasks_planned(), s.report().tasks_created()));
  }
  return out;
}

std::string RenderUplift(const pulse::v1::UpliftReport& r) {
  std::string out = absl::StrFormat(
      "Uplift as of %s (sweep %d): accounts that got a task vs holdout accounts the same rule picked,\n"
      "ordered again within %d days. %d of %d accounts are in the holdout.\n\n",
      r.as_of(), r.sweep_id(), r.horizon_days(), r.holdout_accounts(), r.accounts());
  absl::StrAppend(&out, absl::StrFormat("%-18s %-5s %15s %15s %8s %17s %20s %s\n", "action", "tier", "treated",
                                        "holdout", "effect", "95% interval", "revenue/account", "maturing"));
  for (const auto& c : r.cells()) {
    auto arm = [](const pulse::v1::UpliftArm& a) {
      return a.decisions() == 0 ? std::string("-")
                                : absl::StrFormat("%d/%d %.0f%%", a.ordered(), a.decisions(), 100 * a.order_rate());
    };
    const std::string action = c.action().empty() ? "(all)" : c.action();
    const std::string tier = c.tier().empty() ? "all" : c.tier();
    const std::string effect = c.comparable() ? absl::StrFormat("%+.1f pt", 100 * c.effect()) : "-";
    const std::string ci = c.comparable()
                               ? absl::StrFormat("[%+.1f, %+.1f]", 100 * c.effect_low(), 100 * c.effect_high())
                               : "-";
    const std::string revenue =
        c.comparable() ? absl::StrFormat("%+.0f", c.revenue_effect()) : std::string("-");
    absl::StrAppend(&out, absl::StrFormat("%-18s %-5s %15s %15s %8s %17s %20s %d/%d\n", action, tier,
                                          arm(c.treated()), arm(c.holdout()), effect, ci, revenue,
                                          c.treated().maturing(), c.holdout().maturing()));
  }
  if (r.cells().empty()) absl::StrAppend(&out, "(no decisions yet)\n");
  absl::StrAppend(&out, "\nEffectiveness in the priority (share of at-risk value a contact keeps):\n");
  for (const auto& e : r.effectiveness()) {
    absl::StrAppend(&out, absl::StrFormat("  %-18s prior %.2f  ", e.action(), e.prior()),
                    e.measured() ? absl::StrFormat("measured %.2f (smaller arm %d)  ", e.measured_value(),
                                                   e.smaller_arm())
                                 : std::string("not measured yet  "),
                    absl::StrFormat("used %.2f\n", e.used()));
  }
  return out;
}

std::string RenderCoverage(const pulse::v1::CoverageReport& r) {
  auto pct = [](double share) { return absl::StrFormat("%.1f%%", 100 * share); };
  auto money = [](double v) { return FormatMoney(v, ""); };
  std::string out = absl::StrCat(r.summary(), "\n\n");
  absl::StrAppend(&out, "As of ", r.as_of(), " (sweep ", r.sweep_id(), ")",
                  r.currency().empty() ? "" : absl::StrCat("; amounts in ", r.currency()), "; churn over the last ",
                  r.period_days(), " days; contacted = two-way contact within ", r.contact_window_days(),
                  " days; at risk from ", pct(r.at_risk_probability()), ".\n\n");
  absl::StrAppend(&out, absl::StrFormat("%-8s %8s %13s %7s %8s %17s %9s %8s %10s %7s %13s %8s\n", "segment",
                                        "accounts", "revenue", "share", "no owner", "churn (n/base)", "contacted",
                                        "median d", "complaints", "at risk", "value at risk", "outside"));
  for (const auto& s : r.current().segments()) {
    absl::StrAppend(
        &out, absl::StrFormat("%-8s %8d %13s %7s %8s %17s %9s %8s %10d %7d %13s %8d\n", s.segment(), s.accounts(),
                              money(s.revenue()), pct(s.revenue_share()), pct(s.without_active_owner_share()),
                              absl::StrCat(pct(s.churn_rate()), " (", s.churned(), "/", s.churn_base(), ")"),
                              r.activities_available() ? pct(s.contacted_share()) : "-",
                              s.accounts_with_two_way_contact() > 0
                                  ? absl::StrFormat("%.1f", s.median_days_since_two_way_contact())
                                  : "-",
                              s.open_complaints(), s.accounts_at_risk(), money(s.value_at_risk()),
                              s.accounts_outside_care()));
  }
  if (!r.survey().empty()) {
    absl::StrAppend(&out, "\nAsked for feedback in the last ", r.ask_interval_days(),
                    " days (an answer, or a Pulse request); answered = within ", r.answer_window_days(),
                    " days of a Pulse request:\n",
                    absl::StrFormat("%-8s %8s %8s %7s %13s %7s %17s\n", "segment", "accounts", "asked", "share",
                                    "revenue asked", "share", "answered (n/req)"));
    for (const auto& s : r.survey()) {
      absl::StrAppend(&out, absl::StrFormat("%-8s %8d %8d %7s %13s %7s %17s\n", s.segment(), s.accounts(), s.asked(),
                                            pct(s.asked_share()), money(s.revenue_asked()),
                                            pct(s.revenue_asked_share()),
                                            s.requests() > 0 ? absl::StrCat(pct(s.answer_rate()), " (", s.answered(),
                                                                            "/", s.requests(), ")")
                                                             : std::string("-")));
    }
  }
  absl::StrAppend(&out, "\nOwners, by value at risk (* inactive, + pool):\n",
                  absl::StrFormat("%-26s %8s %13s %7s %13s %10s %9s %8s\n", "owner", "accounts", "revenue", "at risk",
                                  "value at risk", "open tasks", "this week", "capacity"));
  for (const auto& o : r.owners()) {
    std::string who = o.name().empty() ? o.user_id() : absl::StrCat(o.name(), " (", o.user_id(), ")");
    if (!o.active()) who += "*";
    if (o.pool()) who += "+";
    absl::StrAppend(&out, Pad(Cut(who, 26), 26),
                    absl::StrFormat(" %8d %13s %7d %13s %10d %9s %8s\n", o.accounts(), money(o.revenue()),
                                    o.accounts_at_risk(), money(o.value_at_risk()), o.open_tasks(),
                                    absl::StrCat(o.tasks_this_week(), "/", o.weekly_capacity()),
                                    pct(o.capacity_used())));
  }
  if (!r.largest_outside_care().empty()) {
    absl::StrAppend(&out, "\nLargest accounts outside any care model:\n",
                    absl::StrFormat("%-32s %-4s %-14s %13s %6s %13s\n", "account", "tier", "owner", "revenue", "risk",
                                    "value at risk"));
    for (const auto& a : r.largest_outside_care()) {
      std::string owner = a.owner_id().empty() ? "(none)" : a.owner_id();
      if (!a.owner_id().empty() && !a.owner_active()) owner += "*";
      absl::StrAppend(&out, Pad(Cut(a.name(), 32), 32), " ", absl::StrFormat("%-4s ", TierLabel(a.tier())),
                      Pad(Cut(owner, 14), 14),
                      absl::StrFormat(" %13s %6s %13s\n", money(a.revenue()), pct(a.churn_probability()),
                                      money(a.value_at_risk())));
    }
  }
  absl::StrAppend(&out, "\nTrend (each day replayed from the records up to it):\n",
                  absl::StrFormat("%-10s %8s %13s %20s %9s %9s %10s %13s %13s\n", "as of", "accounts", "revenue",
                                  "outside care", "churn key", "churn mid", "churn tail", "churn unowned",
                                  "value at risk"));
  for (const auto& f : r.trend()) {
    double key = 0, mid = 0, tail = 0, unowned = 0, var = 0;
    for (const auto& s : f.segments()) {
      if (s.segment() == "key") key = s.churn_rate();
      if (s.segment() == "mid") mid = s.churn_rate();
      if (s.segment() == "tail") tail = s.churn_rate();
      if (s.segment() == "unowned") unowned = s.churn_rate();
      if (s.segment() == "all") var = s.value_at_risk();
    }
    absl::StrAppend(&out, absl::StrFormat("%-10s %8d %13s %20s %9s %9s %10s %13s %13s\n", f.as_of(), f.accounts(),
                                          money(f.revenue()),
                                          absl::StrCat(money(f.revenue_outside_care()), " (",
                                                       pct(f.revenue_outside_care_share()), ")"),
                                          pct(key), pct(mid), pct(tail), pct(unowned), money(var)));
  }
  return out;
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.preserve_proto_field_names = true;
  opts.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, opts);
  return json;
}

}  // namespace pulse

#include "sidecar/report/account_html.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "sidecar/engine/scorer.h"
#include "sidecar/report/coverage_html.h"

namespace pulse {
namespace {

constexpr char kStyle[] = R"(
body { font: 14px/1.45 system-ui, sans-serif; color: #1d2430; margin: 24px auto; max-width: 980px; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 17px; margin-top: 32px; border-bottom: 1px solid #d8dde6; padding-bottom: 4px; }
p.summary { font-size: 16px; background: #fff6e0; border-left: 4px solid #e0a100; padding: 10px 14px; }
p.meta, p.note { color: #5b6678; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 8px 0; }
dl.facts dt { color: #5b6678; }
dl.facts dd { margin: 0; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border-bottom: 1px solid #e4e8ef; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f5f9; }
td.num { text-align: right; white-space: nowrap; }
td:first-child { white-space: nowrap; }
.bad { color: #c8453a; font-weight: 600; }
.gone { color: #8a94a6; }
svg { display: block; margin: 8px 0; font-size: 11px; }
svg text { fill: #1d2430; }
svg .grid { stroke: #e4e8ef; }
svg .axis { stroke: #8a94a6; }
.s0 { fill: #3f6fd8; stroke: #3f6fd8; } .s3 { fill: #c8453a; stroke: #c8453a; }
.line { fill: none; stroke-width: 2; }
div.wide { overflow-x: auto; }
)";

constexpr int kWidth = 720;
constexpr int kHeight = 240;
constexpr int kLeft = 96;  // room for money labels such as "EUR 1,234,567"
constexpr int kRight = 16;
constexpr int kTop = 20;
constexpr int kBottom = 40;

// Reads back to the same double.
std::string Num(double v) { return absl::StrFormat("%.17g", v); }
std::string Pct(double share) { return absl::StrFormat("%.1f %%", 100 * share); }
std::string Px(double v) { return absl::StrFormat("%.1f", v); }
std::string Hours(double h) { return absl::StrFormat("%.1f h", h); }
std::string E(const std::string& text) { return HtmlEscape(text); }
std::string OrDash(const std::string& text) { return text.empty() ? "-" : HtmlEscape(text); }

std::string TierName(pulse::v1::Tier t) {
  switch (t) {
    case pulse::v1::TIER_KEY: return "key";
    case pulse::v1::TIER_MID: return "mid";
    case pulse::v1::TIER_TAIL: return "long tail";
    default: return "-";
  }
}

// "win_back" -> "win back": any action id, known to this build or not.
std::string ActionLabel(const std::string& id) {
  return id.empty() ? "none" : HtmlEscape(absl::StrReplaceAll(id, {{"_", " "}}));
}

std::string Person(const std::string& id, const std::string& name) {
  if (id.empty()) return "(none)";
  if (name.empty()) return absl::StrCat(HtmlEscape(id), " (not a CRM user)");
  return absl::StrCat(HtmlEscape(name), " (", HtmlEscape(id), ")");
}

std::string ShownNote(int64_t shown, int64_t total, const std::string& what) {
  if (total <= shown) return "";
  return absl::StrCat("<p class=\"note\">Showing the newest ", shown, " of ", total, " ", what, ".</p>\n");
}

std::string SvgOpen(const std::string& id, const std::string& title, int height) {
  return absl::StrCat("<svg id=\"", id, "\" role=\"img\" aria-label=\"", title, "\" width=\"", kWidth, "\" height=\"",
                      height, "\" viewBox=\"0 0 ", kWidth, " ", height, "\" xmlns=\"http://www.w3.org/2000/svg\">",
                      "<title>", title, "</title>");
}

// Four horizontal grid lines from 0 to `top`, labelled by `label`.
template <typename Label>
std::string Grid(double top, Label label) {
  std::string out;
  const double h = kHeight - kTop - kBottom;
  for (int i = 0; i <= 4; ++i) {
    const double y = kTop + h - h * i / 4.0;
    absl::StrAppend(&out, "<line class=\"", i == 0 ? "axis" : "grid", "\" x1=\"", kLeft, "\" x2=\"", kWidth - kRight,
                    "\" y1=\"", Px(y), "\" y2=\"", Px(y), "\"/>", "<text x=\"", kLeft - 6, "\" y=\"", Px(y + 4),
                    "\" text-anchor=\"end\">", label(top * i / 4.0), "</text>");
  }
  return out;
}

// Orders by month: one bar per month, its height the month's amount.
std::string OrderChart(const pulse::v1::AccountView& v) {
  const auto& months = v.order_months();
  double max_amount = 0;
  for (const auto& m : months) max_amount = std::max(max_amount, m.amount());
  const double top = max_amount > 0 ? max_amount : 1;
  const std::string currency = v.currency();
  std::string out = SvgOpen("chart-orders", "Orders by month", kHeight);
  absl::StrAppend(&out, Grid(top, [&currency](double x) { return HtmlEscape(FormatMoney(x, currency)); }));
  const double h = kHeight - kTop - kBottom;
  const double slot = static_cast<double>(kWidth - kLeft - kRight) / std::max(1, months.size());
  for (int i = 0; i < months.size(); ++i) {
    const auto& m = months[i];
    const double len = std::clamp(m.amount() / top, 0.0, 1.0) * h;
    const double x = kLeft + slot * i + slot * 0.15;
    const std::string caption = absl::StrCat(HtmlEscape(m.month()), ": ", m.orders(), m.orders() == 1 ? " order, " : " orders, ",
                                             HtmlEscape(FormatMoney(m.amount(), currency)));
    absl::StrAppend(&out, "<rect class=\"bar s0\" data-metric=\"amount\" data-month=\"", HtmlEscape(m.month()),
                    "\" data-value=\"", Num(m.amount()), "\" data-orders=\"", m.orders(), "\" x=\"", Px(x), "\" y=\"",
                    Px(kTop + h - len), "\" width=\"", Px(slot * 0.7), "\" height=\"", Px(len), "\"><title>", caption,
                    "</title></rect>");
    if (i % 3 == 0 || i + 1 == months.size()) {
      absl::StrAppend(&out, "<text x=\"", Px(x + slot * 0.35), "\" y=\"", Px(kTop + h + 16),
                      "\" text-anchor=\"middle\">", HtmlEscape(m.month()), "</text>");
    }
  }
  absl::StrAppend(&out, "</svg>\n");
  return out;
}

// The churn probability over the recorded points (a line with a dot each).
std::string ScoreChart(const pulse::v1::AccountView& v) {
  const auto& points = v.score_history();
  std::string out = SvgOpen("chart-churn", "Churn probability over time", kHeight);
  absl::StrAppend(&out, Grid(1.0, [](double x) { return absl::StrFormat("%g %%", std::round(100 * x)); }));
  const double h = kHeight - kTop - kBottom;
  const double w = kWidth - kLeft - kRight - 40;
  auto x_at = [&](int i) {
    return kLeft + 20 + (points.size() <= 1 ? w / 2 : w * static_cast<double>(i) / (points.size() - 1));
  };
  std::string polyline, dots, labels;
  for (int i = 0; i < points.size(); ++i) {
    const auto& p = points[i];
    const double x = x_at(i);
    const double y = kTop + h - std::clamp(p.churn_probability(), 0.0, 1.0) * h;
    absl::StrAppend(&polyline, i == 0 ? "" : " ", Px(x), ",", Px(y));
    absl::StrAppend(&dots, "<circle class=\"point s3\" data-metric=\"churn_probability\" data-date=\"",
                    HtmlEscape(p.date()), "\" data-value=\"", Num(p.churn_probability()), "\" cx=\"", Px(x),
                    "\" cy=\"", Px(y), "\" r=\"4\"><title>", HtmlEscape(p.date()), ": ", Pct(p.churn_probability()),
                    "</title></circle>");
    if (points.size() <= 8 || i % ((points.size() + 7) / 8) == 0 || i + 1 == points.size()) {
      absl::StrAppend(&labels, "<text x=\"", Px(x), "\" y=\"", Px(kTop + h + 16), "\" text-anchor=\"middle\">",
                      HtmlEscape(p.date()), "</text>");
    }
  }
  if (points.size() > 1) absl::StrAppend(&out, "<polyline class=\"s3 line\" points=\"", polyline, "\"/>");
  absl::StrAppend(&out, dots, labels, "</svg>\n");
  return out;
}

}  // namespace

std::string RenderAccountHtml(const pulse::v1::AccountView& v) {
  const std::string currency = v.currency();
  auto money = [&currency](double x) { return HtmlEscape(FormatMoney(x, currency)); };
  const std::string name = E(v.name().empty() ? v.account_id() : v.name());

  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  absl::StrAppend(&out, "<meta http-equiv=\"Content-Security-Policy\" content=\"", kReportContentSecurityPolicy,
                  "\">\n", "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
                  "<title>", name, " - Pulse account, ", E(v.as_of()), "</title>\n<style>", kStyle,
                  "</style>\n</head>\n<body>\n");

  // Header.
  absl::StrAppend(&out, "<h1 id=\"account-name\">", name, "</h1>\n<p class=\"meta\">Account ", E(v.account_id()),
                  ", as of ", E(v.as_of()), " (sweep ", v.sweep_id(), ").</p>\n");
  absl::StrAppend(&out, "<p class=\"summary\" id=\"recommendation\">Recommended: <strong>",
                  ActionLabel(v.recommended_action()), "</strong>",
                  v.recommended_reason().empty() ? "" : absl::StrCat(": ", E(v.recommended_reason())),
                  v.queue_rank() > 0 ? absl::StrCat(" (rank ", v.queue_rank(), " in the contact queue)") : "",
                  v.do_not_contact() ? ". The CRM says: do not contact." : "", "</p>\n");
  absl::StrAppend(&out, "<dl class=\"facts\" id=\"header\">\n<dt>tier</dt><dd>", TierName(v.tier()), "</dd>\n",
                  "<dt>owner</dt><dd>", Person(v.owner_id(), v.owner_name()),
                  v.owner_id().empty() ? "" : (v.owner_active() ? ", active" : " <span class=\"bad\">inactive</span>"),
                  "</dd>\n<dt>country / industry</dt><dd>", OrDash(v.country()), " / ", OrDash(v.industry()),
                  "</dd>\n<dt>annual value</dt><dd>", money(v.annual_value()), "</dd>\n",
                  "<dt>churn probability</dt><dd data-metric=\"churn_probability\" data-value=\"",
                  Num(v.churn_probability()), "\">", Pct(v.churn_probability()),
                  v.churn_model().empty() ? "" : absl::StrCat(" (", E(v.churn_model()), " model)"),
                  "</dd>\n<dt>value at risk</dt><dd>", money(v.value_at_risk()), "</dd>\n</dl>\n");

  // Owner history.
  absl::StrAppend(&out, "<h2>Owner and history of owners</h2>\n<table id=\"owners\">\n<tr><th>since</th><th>owner</th>"
                        "<th>today</th></tr>\n");
  for (const auto& o : v.owner_history()) {
    absl::StrAppend(&out, "<tr><td>", o.since_date().empty() ? "(before Pulse recorded it)" : E(o.since_date()),
                    "</td><td>", Person(o.owner_id(), o.owner_name()), "</td><td>",
                    o.owner_id().empty() ? "-" : (o.owner_active() ? "active" : "inactive"), "</td></tr>\n");
  }
  absl::StrAppend(&out, "</table>\n<p class=\"note\">From the snapshots each sweep records when the owner or the "
                        "contacts change.</p>\n");

  // Orders and cadence.
  absl::StrAppend(&out, "<h2>Order timeline</h2>\n", OrderChart(v));
  absl::StrAppend(&out, "<p class=\"note\" id=\"cadence-line\">",
                  v.last_order_date().empty()
                      ? std::string("No order on record.")
                      : absl::StrCat("Last order ", E(v.last_order_date()), " (", v.days_since_last_order(),
                                     " days before the as-of)"),
                  v.typical_gap_days() > 0 ? absl::StrFormat("; typical gap between orders %.0f days",
                                                             v.typical_gap_days())
                                           : std::string("; no cadence of its own yet"),
                  ".</p>\n");
  absl::StrAppend(&out, "<h2>Cadence and trend</h2>\n<dl class=\"facts\" id=\"cadence\">\n<dt>orders</dt><dd>",
                  v.orders_total(), v.first_order_date().empty() ? "" : absl::StrCat(" since ", E(v.first_order_date())),
                  "</dd>\n<dt>typical gap</dt><dd>",
                  v.typical_gap_days() > 0 ? absl::StrFormat("%.1f days", v.typical_gap_days()) : "-",
                  "</dd>\n<dt>mean gap</dt><dd>",
                  v.mean_gap_days() > 0 ? absl::StrFormat("%.1f days", v.mean_gap_days()) : "-",
                  "</dd>\n<dt>days since last order</dt><dd>",
                  v.days_since_last_order() >= 0 ? absl::StrCat(v.days_since_last_order()) : "-",
                  "</dd>\n<dt>volume trend</dt><dd>",
                  v.volume_trend().empty() ? "no fall in volume flagged" : E(v.volume_trend()), "</dd>\n</dl>\n");
  if (v.overdue_products_size() > 0) {
    absl::StrAppend(&out, "<p>Overdue regular products:</p>\n<ul id=\"overdue\">\n");
    for (const std::string& p : v.overdue_products()) absl::StrAppend(&out, "<li>", E(p), "</li>\n");
    absl::StrAppend(&out, "</ul>\n");
  }

  // Signals.
  absl::StrAppend(&out, "<h2>Current signals</h2>\n");
  if (v.signals_size() == 0) {
    absl::StrAppend(&out, "<p class=\"note\">No signal.</p>\n");
  } else {
    absl::StrAppend(&out, "<table id=\"signals\">\n<tr><th>signal</th><th>strength</th><th>evidence</th></tr>\n");
    for (const auto& s : v.signals()) {
      absl::StrAppend(&out, "<tr><td>", E(s.signal_id()), "</td><td class=\"num\">", absl::StrFormat("%.2f", s.strength()),
                      "</td><td>", E(s.evidence()), "</td></tr>\n");
    }
    absl::StrAppend(&out, "</table>\n");
  }
  if (v.contributions_size() > 0) {
    absl::StrAppend(&out, "<p>The learned model's largest contributions (log-odds against an average account):</p>\n",
                    "<table id=\"contributions\">\n<tr><th>feature</th><th>log-odds</th></tr>\n");
    for (const auto& c : v.contributions()) {
      absl::StrAppend(&out, "<tr><td>", E(c.feature()), "</td><td class=\"num\">", absl::StrFormat("%+.3f", c.log_odds()),
                      "</td></tr>\n");
    }
    absl::StrAppend(&out, "</table>\n");
  }

  // Churn probability over time.
  absl::StrAppend(&out, "<h2>Churn probability over time</h2>\n", ScoreChart(v),
                  "<p class=\"note\">Recorded after a sweep when it moved by 0.05 or more, when the last record was "
                  "28 days old, or the first time.",
                  v.score_history_size() == 0 ? " Nothing recorded yet (only sweeps that are not dry runs record)." : "",
                  "</p>\n");

  // Cases.
  absl::StrAppend(&out, "<h2>Cases</h2>\n<p class=\"note\">Open cases and those opened in the last ", v.window_days(),
                  " days: ", v.cases_total(), " (", v.open_cases(), " open). First-response SLA for this tier: ",
                  Hours(v.sla_hours()),
                  v.median_first_response_hours() > 0
                      ? absl::StrCat("; median first response ", Hours(v.median_first_response_hours()))
                      : std::string(),
                  ".</p>\n");
  if (v.cases_size() > 0) {
    absl::StrAppend(&out, "<div class=\"wide\"><table id=\"cases\">\n<tr><th>opened</th><th>subject</th>"
                          "<th>category</th><th>priority</th><th>status</th><th>first response</th><th>closed</th></tr>\n");
    for (const auto& c : v.cases()) {
      std::string response = c.responded() ? Hours(c.first_response_hours()) : std::string("none yet");
      if (c.over_sla()) response = absl::StrCat("<span class=\"bad\">", response, " (over SLA)</span>");
      absl::StrAppend(&out, "<tr data-case=\"", E(c.case_id()), "\"><td>", E(c.opened_date()), "</td><td>",
                      E(c.subject()), "</td><td>", OrDash(c.category()), "</td><td>", OrDash(c.priority()), "</td><td>",
                      c.open() ? "<strong>open</strong> " : "", E(c.status()), "</td><td class=\"num\">", response,
                      "</td><td>", OrDash(c.closed_date()), "</td></tr>\n");
    }
    absl::StrAppend(&out, "</table></div>\n", ShownNote(v.cases_size(), v.cases_total(), "cases"));
  }

  // Contacts made.
  absl::StrAppend(&out, "<h2>Contacts made</h2>\n<p class=\"note\">Activities in the last ", v.window_days(),
                  " days: ", v.activities_total(), ". Last two-way contact: ", OrDash(v.last_two_way_contact_date()),
                  ".</p>\n");
  if (v.contacts_by_user_size() > 0) {
    absl::StrAppend(&out, "<table id=\"contacts-by-user\">\n<tr><th>by</th><th>activities</th><th>two-way</th>"
                          "<th>last</th></tr>\n");
    for (const auto& u : v.contacts_by_user()) {
      absl::StrAppend(&out, "<tr><td>", Person(u.user_id(), u.user_name()), "</td><td class=\"num\">", u.activities(),
                      "</td><td class=\"num\">", u.two_way(), "</td><td>", E(u.last_date()), "</td></tr>\n");
    }
    absl::StrAppend(&out, "</table>\n<div class=\"wide\"><table id=\"activities\">\n<tr><th>date</th><th>type</th>"
                          "<th>direction</th><th>by</th><th>subject</th></tr>\n");
    for (const auto& a : v.activities()) {
      absl::StrAppend(&out, "<tr><td>", E(a.date()), "</td><td>", E(a.type()), "</td><td>", OrDash(a.direction()),
                      "</td><td>", Person(a.user_id(), a.user_name()), "</td><td>", E(a.subject()), "</td></tr>\n");
    }
    absl::StrAppend(&out, "</table></div>\n", ShownNote(v.activities_size(), v.activities_total(), "activities"));
  }

  // Contact persons.
  absl::StrAppend(&out, "<h2>Key contacts</h2>\n");
  if (v.contacts_size() == 0) {
    absl::StrAppend(&out, "<p class=\"note\">No contact persons in the CRM.</p>\n");
  } else {
    absl::StrAppend(&out, "<table id=\"contacts\">\n<tr><th>name</th><th>role</th><th>status</th><th>changed</th></tr>\n");
    for (const auto& c : v.contacts()) {
      absl::StrAppend(&out, "<tr", c.active() ? "" : " class=\"gone\"", "><td>", OrDash(c.name()), "</td><td>",
                      OrDash(c.role()), "</td><td>", c.active() ? "active" : "gone", "</td><td>",
                      OrDash(c.updated_date()), "</td></tr>\n");
    }
    absl::StrAppend(&out, "</table>\n", ShownNote(v.contacts_size(), v.contacts_total(), "contacts"));
  }

  // Feedback and engagement.
  absl::StrAppend(&out, "<h2>Feedback</h2>\n");
  if (v.feedback_size() == 0) {
    absl::StrAppend(&out, "<p class=\"note\">No feedback on record.</p>\n");
  } else {
    absl::StrAppend(&out, "<table id=\"feedback\">\n<tr><th>date</th><th>score</th><th>comment</th></tr>\n");
    for (const auto& f : v.feedback()) {
      absl::StrAppend(&out, "<tr><td>", E(f.date()), "</td><td class=\"num\">",
                      absl::StrFormat("%g", f.score()), f.scale() == "csat" ? " / 5 CSAT" : " / 10 NPS", "</td><td>",
                      E(f.comment()), "</td></tr>\n");
    }
    absl::StrAppend(&out, "</table>\n", ShownNote(v.feedback_size(), v.feedback_total(), "answers"));
  }
  if (v.engagement_size() > 0) {
    absl::StrAppend(&out, "<p>Newsletters in the last ", v.window_days(), " days:</p>\n<table id=\"engagement\">\n"
                          "<tr><th>period</th><th>sent</th><th>opened</th><th>clicked</th></tr>\n");
    for (const auto& e : v.engagement()) {
      absl::StrAppend(&out, "<tr><td>", E(e.period_start()), "</td><td class=\"num\">", e.sent(),
                      "</td><td class=\"num\">", e.opened(), "</td><td class=\"num\">", e.clicked(), "</td></tr>\n");
    }
    absl::StrAppend(&out, "</table>\n");
  }

  // Pulse's tasks and decisions.
  absl::StrAppend(&out, "<h2>Pulse tasks and decisions</h2>\n");
  if (v.tasks_size() == 0) {
    absl::StrAppend(&out, "<p class=\"note\">Pulse has written no task for this account.</p>\n");
  } else {
    absl::StrAppend(&out, "<div class=\"wide\"><table id=\"tasks\">\n<tr><th>created</th><th>action</th><th>type</th>"
                          "<th>assignee</th><th>due</th><th>subject</th><th>outcome</th></tr>\n");
    for (const auto& t : v.tasks()) {
      std::string outcome = E(t.status());
      if (t.status() == "delivered" && !t.delivered_date().empty()) {
        absl::StrAppend(&outcome, " ", E(t.delivered_date()));
      }
      if (!t.last_error().empty()) {
        outcome = absl::StrCat("<span class=\"bad\">", outcome, " after ", t.attempts(), " attempts: ",
                               E(t.last_error()), "</span>");
      }
      absl::StrAppend(&out, "<tr data-task=\"", E(t.key()), "\"><td>", E(t.created_date()), "</td><td>",
                      ActionLabel(t.action()), "</td><td>", E(t.type()), "</td><td>",
                      Person(t.assignee_id(), t.assignee_name()), "</td><td>", E(t.due_date()), "</td><td>",
                      E(t.subject()), "</td><td>", outcome, "</td></tr>\n");
    }
    absl::StrAppend(&out, "</table></div>\n", ShownNote(v.tasks_size(), v.tasks_total(), "tasks"));
  }
  if (v.decisions_size() > 0) {
    absl::StrAppend(&out, "<table id=\"decisions\">\n<tr><th>decided</th><th>action</th><th>arm</th>"
                          "<th>churn probability then</th><th>task</th></tr>\n");
    for (const auto& d : v.decisions()) {
      absl::StrAppend(&out, "<tr><td>", E(d.date()), "</td><td>", ActionLabel(d.action()), "</td><td>",
                      d.holdout() ? "holdout (withheld to measure the effect)" : "task",
                      d.backfill() ? ", backfill" : "", "</td><td class=\"num\">", Pct(d.churn_probability()),
                      "</td><td>", d.holdout() ? "-" : OrDash(d.task_status()), "</td></tr>\n");
    }
    absl::StrAppend(&out, "</table>\n", ShownNote(v.decisions_size(), v.decisions_total(), "decisions"));
  }

  absl::StrAppend(&out, "<p class=\"meta\">Pulse account page. Lists show at most ", v.list_limit(),
                  " entries, newest first. Where each part comes from: docs/ACCOUNT_VIEW.md.</p>\n",
                  "</body>\n</html>\n");
  return out;
}

}  // namespace pulse

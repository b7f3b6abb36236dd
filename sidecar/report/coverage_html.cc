#include "sidecar/report/coverage_html.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sidecar/engine/scorer.h"

namespace pulse {
namespace {

constexpr const char* kContentSecurityPolicy = kReportContentSecurityPolicy;

constexpr char kStyle[] = R"(
body { font: 14px/1.45 system-ui, sans-serif; color: #1d2430; margin: 24px auto; max-width: 980px; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 17px; margin-top: 32px; border-bottom: 1px solid #d8dde6; padding-bottom: 4px; }
p.summary { font-size: 17px; background: #fff6e0; border-left: 4px solid #e0a100; padding: 10px 14px; }
p.meta, p.note { color: #5b6678; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border-bottom: 1px solid #e4e8ef; padding: 4px 8px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { background: #f3f5f9; }
svg { display: block; margin: 8px 0; font-size: 11px; }
svg text { fill: #1d2430; }
svg .grid { stroke: #e4e8ef; }
svg .axis { stroke: #8a94a6; }
.s0 { fill: #3f6fd8; stroke: #3f6fd8; } .s1 { fill: #e0a100; stroke: #e0a100; }
.s2 { fill: #2f9e6e; stroke: #2f9e6e; } .s3 { fill: #c8453a; stroke: #c8453a; } .s4 { fill: #7a5cc8; stroke: #7a5cc8; }
.line { fill: none; stroke-width: 2; }
div.wide { overflow-x: auto; }
)";

constexpr int kWidth = 720;
constexpr int kHeight = 260;
constexpr int kLeft = 56;
constexpr int kRight = 16;
constexpr int kTop = 28;
constexpr int kBottom = 40;

// Reads back to the same double.
std::string Num(double v) { return absl::StrFormat("%.17g", v); }
std::string Pct(double share) { return absl::StrFormat("%.1f %%", 100 * share); }
std::string Px(double v) { return absl::StrFormat("%.1f", v); }

std::string SegmentLabel(const std::string& id) {
  if (id == "key") return "Key";
  if (id == "mid") return "Mid";
  if (id == "tail") return "Long tail";
  if (id == "unowned") return "No active owner";
  if (id == "all") return "All accounts";
  return HtmlEscape(id);
}

// The axis top for shares up to `max_share`: the next multiple of 4 % (so
// the four grid steps are whole percents), at least 4 %.
double AxisTop(double max_share) { return std::clamp(std::ceil(max_share * 25 - 1e-9) / 25, 0.04, 1.0); }

// One mark of a chart and the figure it stands for.
struct Mark {
  std::string metric;  // data-metric: the API field shown
  // Which figure: data-segment, data-owner, data-as-of (unescaped; "" = none).
  std::string segment;
  std::string owner;
  std::string as_of;
  double value = 0;     // data-value
  double length = 0;    // on the axis scale (a share of the axis top, or of the largest)
  std::string caption;  // shown with the mark; already HTML
  int series = 0;       // colour
};

std::string MarkAttributes(const Mark& m) {
  std::string out = absl::StrCat(" data-metric=\"", HtmlEscape(m.metric), "\"");
  if (!m.segment.empty()) absl::StrAppend(&out, " data-segment=\"", HtmlEscape(m.segment), "\"");
  if (!m.owner.empty()) absl::StrAppend(&out, " data-owner=\"", HtmlEscape(m.owner), "\"");
  if (!m.as_of.empty()) absl::StrAppend(&out, " data-as-of=\"", HtmlEscape(m.as_of), "\"");
  absl::StrAppend(&out, " data-value=\"", Num(m.value), "\"");
  return out;
}

std::string Legend(const std::vector<std::string>& names, double y) {
  std::string out;
  double x = kLeft;
  for (size_t i = 0; i < names.size(); ++i) {
    absl::StrAppend(&out, "<rect class=\"s", i, "\" x=\"", Px(x), "\" y=\"", Px(y - 9), "\" width=\"10\" height=\"10\"/>",
                    "<text x=\"", Px(x + 14), "\" y=\"", Px(y), "\">", names[i], "</text>");
    x += 24 + 7.0 * static_cast<double>(names[i].size());
  }
  return out;
}

// Horizontal grid lines with percent labels from 0 to `top`.
std::string ShareGrid(double top) {
  std::string out;
  const double h = kHeight - kTop - kBottom;
  for (int i = 0; i <= 4; ++i) {
    const double y = kTop + h - h * i / 4.0;
    absl::StrAppend(&out, "<line class=\"", i == 0 ? "axis" : "grid", "\" x1=\"", kLeft, "\" x2=\"", kWidth - kRight,
                    "\" y1=\"", Px(y), "\" y2=\"", Px(y), "\"/>", "<text x=\"", kLeft - 6, "\" y=\"", Px(y + 4),
                    "\" text-anchor=\"end\">", absl::StrFormat("%g %%", std::round(1000 * top * i / 4.0) / 10), "</text>");
  }
  return out;
}

// Grouped vertical bars of shares; `length` is the bar's share of `top`.
std::string VerticalBars(const std::string& id, const std::string& title, const std::vector<std::string>& groups,
                         const std::vector<std::vector<Mark>>& marks, const std::vector<std::string>& legend,
                         double top) {
  std::string out = absl::StrCat("<svg id=\"", id, "\" role=\"img\" aria-label=\"", title, "\" width=\"", kWidth,
                                 "\" height=\"", kHeight, "\" viewBox=\"0 0 ", kWidth, " ", kHeight,
                                 "\" xmlns=\"http://www.w3.org/2000/svg\">", "<title>", title, "</title>");
  absl::StrAppend(&out, ShareGrid(top));
  if (!legend.empty()) absl::StrAppend(&out, Legend(legend, 14));
  const double h = kHeight - kTop - kBottom;
  const double slot = static_cast<double>(kWidth - kLeft - kRight) / std::max<size_t>(1, groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    const size_t n = marks[g].size();
    const double bar = std::min(48.0, slot * 0.7 / std::max<size_t>(1, n));
    const double x0 = kLeft + slot * g + (slot - bar * n) / 2;
    for (size_t i = 0; i < n; ++i) {
      const Mark& m = marks[g][i];
      const double len = std::clamp(m.length, 0.0, 1.0) * h;
      const double x = x0 + bar * i;
      absl::StrAppend(&out, "<rect class=\"bar s", m.series, "\"", MarkAttributes(m), " x=\"", Px(x), "\" y=\"",
                      Px(kTop + h - len), "\" width=\"", Px(bar - 2), "\" height=\"", Px(len), "\"><title>",
                      groups[g], ": ", m.caption, "</title></rect>", "<text x=\"", Px(x + bar / 2 - 1), "\" y=\"",
                      Px(kTop + h - len - 3), "\" text-anchor=\"middle\">", m.caption, "</text>");
    }
    absl::StrAppend(&out, "<text x=\"", Px(kLeft + slot * g + slot / 2), "\" y=\"", Px(kTop + h + 16),
                    "\" text-anchor=\"middle\">", groups[g], "</text>");
  }
  absl::StrAppend(&out, "</svg>\n");
  return out;
}

// One horizontal bar per row; `length` is the share of the longest.
std::string HorizontalBars(const std::string& id, const std::string& title, const std::vector<std::string>& rows,
                           const std::vector<Mark>& marks) {
  constexpr int kRow = 22;
  constexpr int kLabel = 200;
  const int height = kTop + kRow * static_cast<int>(std::max<size_t>(1, rows.size())) + 8;
  std::string out = absl::StrCat("<svg id=\"", id, "\" role=\"img\" aria-label=\"", title, "\" width=\"", kWidth,
                                 "\" height=\"", height, "\" viewBox=\"0 0 ", kWidth, " ", height,
                                 "\" xmlns=\"http://www.w3.org/2000/svg\">", "<title>", title, "</title>");
  const double span = kWidth - kLabel - kRight - 190;
  if (rows.empty()) {
    absl::StrAppend(&out, "<text x=\"", kLabel, "\" y=\"", kTop + 14, "\">no value at risk in anyone's book</text>");
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const Mark& m = marks[i];
    const double y = kTop + kRow * static_cast<double>(i);
    const double len = std::clamp(m.length, 0.0, 1.0) * span;
    absl::StrAppend(&out, "<text x=\"", kLabel - 8, "\" y=\"", Px(y + 14), "\" text-anchor=\"end\">", rows[i],
                    "</text>", "<rect class=\"bar s", m.series, "\"", MarkAttributes(m), " x=\"", kLabel, "\" y=\"",
                    Px(y + 3), "\" width=\"", Px(std::max(len, 1.0)), "\" height=\"", kRow - 6, "\"><title>", rows[i],
                    ": ", m.caption, "</title></rect>", "<text x=\"", Px(kLabel + std::max(len, 1.0) + 6), "\" y=\"",
                    Px(y + 14), "\">", m.caption, "</text>");
  }
  absl::StrAppend(&out, "</svg>\n");
  return out;
}

// Lines over the trend's as-of days; each series is one Mark per point.
std::string Lines(const std::string& id, const std::string& title, const std::vector<std::string>& x_labels,
                  const std::vector<std::vector<Mark>>& series, const std::vector<std::string>& legend, double top) {
  std::string out = absl::StrCat("<svg id=\"", id, "\" role=\"img\" aria-label=\"", title, "\" width=\"", kWidth,
                                 "\" height=\"", kHeight, "\" viewBox=\"0 0 ", kWidth, " ", kHeight,
                                 "\" xmlns=\"http://www.w3.org/2000/svg\">", "<title>", title, "</title>");
  absl::StrAppend(&out, ShareGrid(top), Legend(legend, 14));
  const double h = kHeight - kTop - kBottom;
  const double w = kWidth - kLeft - kRight - 40;
  auto x_at = [&](size_t i) {
    return kLeft + 20 + (x_labels.size() <= 1 ? w / 2 : w * static_cast<double>(i) / (x_labels.size() - 1));
  };
  for (size_t i = 0; i < x_labels.size(); ++i) {
    absl::StrAppend(&out, "<text x=\"", Px(x_at(i)), "\" y=\"", Px(kTop + h + 16), "\" text-anchor=\"middle\">",
                    x_labels[i], "</text>");
  }
  for (const std::vector<Mark>& points : series) {
    if (points.empty()) continue;
    std::string polyline;
    std::string dots;
    for (size_t i = 0; i < points.size(); ++i) {
      const Mark& m = points[i];
      const double x = x_at(i);
      const double y = kTop + h - std::clamp(m.length, 0.0, 1.0) * h;
      absl::StrAppend(&polyline, i == 0 ? "" : " ", Px(x), ",", Px(y));
      absl::StrAppend(&dots, "<circle class=\"point s", m.series, "\"", MarkAttributes(m), " cx=\"", Px(x),
                      "\" cy=\"", Px(y), "\" r=\"4\"><title>", m.caption, "</title></circle>");
    }
    absl::StrAppend(&out, "<polyline class=\"s", points[0].series, " line\" points=\"", polyline, "\"/>", dots);
  }
  absl::StrAppend(&out, "</svg>\n");
  return out;
}

const pulse::v1::CoverageSegment* FindSegment(const pulse::v1::CoverageFigures& f, const std::string& id) {
  for (const auto& s : f.segments()) {
    if (s.segment() == id) return &s;
  }
  return nullptr;
}

std::string TierName(pulse::v1::Tier t) {
  switch (t) {
    case pulse::v1::TIER_KEY: return "key";
    case pulse::v1::TIER_MID: return "mid";
    case pulse::v1::TIER_TAIL: return "tail";
    default: return "-";
  }
}

}  // namespace

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string RenderCoverageHtml(const pulse::v1::CoverageReport& r) {
  const std::string currency = r.currency();
  auto money = [&currency](double v) { return HtmlEscape(FormatMoney(v, currency)); };
  const pulse::v1::CoverageFigures& now = r.current();
  const std::vector<std::string> tiers = {"key", "mid", "tail", "unowned"};

  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  absl::StrAppend(&out, "<meta http-equiv=\"Content-Security-Policy\" content=\"", kContentSecurityPolicy, "\">\n",
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
                  "<title>Pulse coverage report, ", HtmlEscape(r.as_of()), "</title>\n<style>", kStyle,
                  "</style>\n</head>\n<body>\n");
  absl::StrAppend(&out, "<h1>Coverage and portfolio</h1>\n<p class=\"summary\" id=\"summary\">",
                  HtmlEscape(r.summary()), "</p>\n");
  absl::StrAppend(&out, "<p class=\"meta\">As of ", HtmlEscape(r.as_of()), " (sweep ", r.sweep_id(), "). ",
                  "Covered: key and mid accounts whose owner is an active CRM user. Revenue: the 365 days to the "
                  "as-of day. Churn: accounts that ordered in the year before the last ",
                  r.period_days(), " days and not since. At risk: churn probability of at least ",
                  Pct(r.at_risk_probability()), ".</p>\n");

  // 1. Tier breakdown: share of accounts and of revenue.
  {
    std::vector<std::string> groups;
    std::vector<std::vector<Mark>> marks;
    for (const std::string& id : tiers) {
      const pulse::v1::CoverageSegment* s = FindSegment(now, id);
      if (s == nullptr) continue;
      const double account_share = now.accounts() > 0 ? static_cast<double>(s->accounts()) / now.accounts() : 0;
      groups.push_back(SegmentLabel(id));
      marks.push_back({Mark{"accounts", id, "", "", static_cast<double>(s->accounts()), account_share,
                            Pct(account_share), 0},
                       Mark{"revenue_share", id, "", "", s->revenue_share(), s->revenue_share(),
                            Pct(s->revenue_share()), 1}});
    }
    absl::StrAppend(&out, "<h2>Tier breakdown</h2>\n",
                    VerticalBars("chart-tiers", "Share of accounts and of revenue by tier", groups, marks,
                                 {"share of accounts", "share of revenue"}, 1.0));
  }
  // 2. Churn by tier.
  {
    std::vector<std::string> groups;
    std::vector<std::vector<Mark>> marks;
    double max_rate = 0;
    for (const auto& s : now.segments()) max_rate = std::max(max_rate, s.churn_rate());
    const double top = AxisTop(max_rate);
    for (const auto& s : now.segments()) {
      groups.push_back(SegmentLabel(s.segment()));
      marks.push_back({Mark{"churn_rate", s.segment(), "", "", s.churn_rate(), s.churn_rate() / top,
                            absl::StrCat(Pct(s.churn_rate()), " (", s.churned(), "/", s.churn_base(), ")"),
                            s.segment() == "all" ? 4 : 3}});
    }
    absl::StrAppend(&out, "<h2>Churn by tier</h2>\n<p class=\"note\">Accounts that stopped ordering in the last ",
                    r.period_days(), " days, of those that ordered in the year before.</p>\n",
                    VerticalBars("chart-churn", "Churn rate over the last period by tier", groups, marks, {}, top));
  }
  // Survey coverage by tier.
  if (!r.survey().empty()) {
    std::vector<std::string> groups;
    std::vector<std::vector<Mark>> marks;
    for (const auto& s : r.survey()) {
      groups.push_back(SegmentLabel(s.segment()));
      marks.push_back({Mark{"asked_share", s.segment(), "", "", s.asked_share(), s.asked_share(),
                            absl::StrCat(Pct(s.asked_share()), " (", s.asked(), "/", s.accounts(), ")"), 0},
                       Mark{"revenue_asked_share", s.segment(), "", "", s.revenue_asked_share(),
                            s.revenue_asked_share(), Pct(s.revenue_asked_share()), 1},
                       Mark{"answer_rate", s.segment(), "", "", s.answer_rate(), s.answer_rate(),
                            s.requests() > 0 ? absl::StrCat(Pct(s.answer_rate()), " (", s.answered(), "/",
                                                            s.requests(), ")")
                                             : std::string("-"),
                            2}});
    }
    absl::StrAppend(&out, "<h2>Asked for feedback</h2>\n<p class=\"note\">Accounts (and their revenue) that sent a "
                    "feedback answer or got a Pulse feedback request in the last ", r.ask_interval_days(),
                    " days; the answer rate of Pulse's requests (answered within ", r.answer_window_days(),
                    " days).</p>\n",
                    VerticalBars("chart-survey", "Share of accounts and of revenue asked for feedback, and the answer "
                                 "rate, by tier", groups, marks,
                                 {"share of accounts asked", "share of revenue asked", "answer rate"}, 1.0));
  }
  // 3. Value at risk by owner.
  {
    std::vector<std::string> rows;
    std::vector<Mark> marks;
    double max_var = 0;
    for (const auto& o : r.owners()) max_var = std::max(max_var, o.value_at_risk());
    for (const auto& o : r.owners()) {
      if (o.value_at_risk() <= 0) continue;
      std::string label = HtmlEscape(o.name().empty() ? o.user_id() : o.name());
      if (!o.active()) absl::StrAppend(&label, " (inactive)");
      rows.push_back(label);
      marks.push_back(Mark{"value_at_risk", "", o.user_id(), "", o.value_at_risk(), o.value_at_risk() / max_var,
                           absl::StrCat(money(o.value_at_risk()), " (", o.accounts_at_risk(),
                                        o.accounts_at_risk() == 1 ? " account)" : " accounts)"),
                           o.active() ? 0 : 3});
    }
    absl::StrAppend(&out, "<h2>Value at risk by owner</h2>\n",
                    HorizontalBars("chart-owner-risk", "Value at risk by owner", rows, marks));
    const pulse::v1::CoverageSegment* unowned = FindSegment(now, "unowned");
    if (unowned != nullptr) {
      absl::StrAppend(&out, "<p class=\"note\">Accounts without an active owner hold ", money(unowned->value_at_risk()),
                      " value at risk (", unowned->accounts_at_risk(), " accounts at risk).</p>\n");
    }
  }
  // 4. Trend.
  {
    std::vector<std::string> x_labels;
    double max_share = 0;
    for (const auto& f : r.trend()) {
      x_labels.push_back(HtmlEscape(f.as_of()));
      max_share = std::max(max_share, f.revenue_outside_care_share());
      for (const auto& s : f.segments()) max_share = std::max(max_share, s.churn_rate());
    }
    const double top = AxisTop(max_share);
    std::vector<std::vector<Mark>> series(1 + tiers.size());
    for (const auto& f : r.trend()) {
      series[0].push_back(Mark{"revenue_outside_care_share", "", "", f.as_of(), f.revenue_outside_care_share(),
                               f.revenue_outside_care_share() / top,
                               absl::StrCat(HtmlEscape(f.as_of()), ": revenue outside care ",
                                            Pct(f.revenue_outside_care_share())),
                               0});
      for (size_t i = 0; i < tiers.size(); ++i) {
        const pulse::v1::CoverageSegment* s = FindSegment(f, tiers[i]);
        const double rate = s == nullptr ? 0 : s->churn_rate();
        series[i + 1].push_back(Mark{"churn_rate", tiers[i], "", f.as_of(), rate, rate / top,
                                     absl::StrCat(HtmlEscape(f.as_of()), ": churn ", SegmentLabel(tiers[i]), " ",
                                                  Pct(rate)),
                                     static_cast<int>(i + 1)});
      }
    }
    absl::StrAppend(&out, "<h2>Trend</h2>\n<p class=\"note\">Each point replays the records up to its day with "
                          "today's engine settings; owners and tiers from the CRM are today's.</p>\n",
                    Lines("chart-trend", "Revenue outside any care model and churn by tier over time", x_labels,
                          series,
                          {"revenue outside care", "churn: key", "churn: mid", "churn: long tail",
                           "churn: no active owner"},
                          top));
  }

  // The figures.
  absl::StrAppend(&out, "<h2>Figures by tier</h2>\n<div class=\"wide\"><table id=\"segments\">\n<tr><th>segment</th><th>accounts</th>",
                  "<th>revenue</th><th>revenue share</th><th>no active owner</th><th>churn</th>",
                  "<th>contacted (", r.contact_window_days(), " d)</th><th>median days since contact</th>",
                  "<th>open complaints</th><th>at risk</th><th>value at risk</th><th>outside care</th></tr>\n");
  for (const auto& s : now.segments()) {
    absl::StrAppend(&out, "<tr data-segment=\"", HtmlEscape(s.segment()), "\"><td>", SegmentLabel(s.segment()),
                    "</td><td>", s.accounts(), "</td><td>", money(s.revenue()), "</td><td>", Pct(s.revenue_share()),
                    "</td><td>", Pct(s.without_active_owner_share()), "</td><td>", Pct(s.churn_rate()), " (",
                    s.churned(), "/", s.churn_base(), ")</td><td>",
                    r.activities_available() ? Pct(s.contacted_share()) : "-", "</td><td>",
                    s.accounts_with_two_way_contact() > 0
                        ? absl::StrFormat("%.1f", s.median_days_since_two_way_contact())
                        : "-",
                    "</td><td>", s.open_complaints(), "</td><td>", s.accounts_at_risk(), "</td><td>",
                    money(s.value_at_risk()), "</td><td>", s.accounts_outside_care(), " / ",
                    money(s.revenue_outside_care()), "</td></tr>\n");
  }
  absl::StrAppend(&out, "</table></div>\n");

  absl::StrAppend(&out, "<h2>Owners</h2>\n<div class=\"wide\"><table id=\"owners\">\n<tr><th>owner</th><th>accounts</th>",
                  "<th>revenue</th><th>at risk</th><th>value at risk</th><th>open Pulse tasks</th>",
                  "<th>tasks this week</th><th>capacity used</th></tr>\n");
  for (const auto& o : r.owners()) {
    std::string who = HtmlEscape(o.name().empty() ? o.user_id() : o.name());
    if (!o.name().empty()) absl::StrAppend(&who, " (", HtmlEscape(o.user_id()), ")");
    if (!o.active()) absl::StrAppend(&who, " inactive");
    if (o.pool()) absl::StrAppend(&who, " pool");
    absl::StrAppend(&out, "<tr data-owner=\"", HtmlEscape(o.user_id()), "\"><td>", who, "</td><td>", o.accounts(),
                    "</td><td>", money(o.revenue()), "</td><td>", o.accounts_at_risk(), "</td><td>",
                    money(o.value_at_risk()), "</td><td>", o.open_tasks(), "</td><td>", o.tasks_this_week(), " / ",
                    o.weekly_capacity(), "</td><td>", Pct(o.capacity_used()), "</td></tr>\n");
  }
  absl::StrAppend(&out, "</table></div>\n");

  absl::StrAppend(&out, "<h2>Largest accounts outside any care model</h2>\n<div class=\"wide\"><table id=\"outside-care\">\n",
                  "<tr><th>account</th><th>tier</th><th>owner</th><th>revenue</th><th>churn probability</th>",
                  "<th>value at risk</th></tr>\n");
  for (const auto& a : r.largest_outside_care()) {
    std::string owner = a.owner_id().empty() ? "(none)" : HtmlEscape(a.owner_id());
    if (!a.owner_id().empty() && !a.owner_active()) absl::StrAppend(&owner, " (inactive)");
    absl::StrAppend(&out, "<tr data-account=\"", HtmlEscape(a.account_id()), "\"><td>", HtmlEscape(a.name()), " (",
                    HtmlEscape(a.account_id()), ")</td><td>", TierName(a.tier()), "</td><td>", owner, "</td><td>",
                    money(a.revenue()), "</td><td>", Pct(a.churn_probability()), "</td><td>",
                    money(a.value_at_risk()), "</td></tr>\n");
  }
  absl::StrAppend(&out, "</table></div>\n");

  absl::StrAppend(&out, "<h2>Trend figures</h2>\n<div class=\"wide\"><table id=\"trend\">\n<tr><th>as of</th><th>accounts</th>",
                  "<th>revenue</th><th>outside care</th><th>churn key</th><th>churn mid</th><th>churn tail</th>",
                  "<th>churn no owner</th><th>value at risk</th></tr>\n");
  for (const auto& f : r.trend()) {
    absl::StrAppend(&out, "<tr><td>", HtmlEscape(f.as_of()), "</td><td>", f.accounts(), "</td><td>",
                    money(f.revenue()), "</td><td>", money(f.revenue_outside_care()), " (",
                    Pct(f.revenue_outside_care_share()), ")</td>");
    for (const std::string& id : tiers) {
      const pulse::v1::CoverageSegment* s = FindSegment(f, id);
      absl::StrAppend(&out, "<td>", s == nullptr ? "-" : Pct(s->churn_rate()), "</td>");
    }
    const pulse::v1::CoverageSegment* all = FindSegment(f, "all");
    absl::StrAppend(&out, "<td>", all == nullptr ? "-" : money(all->value_at_risk()), "</td></tr>\n");
  }
  absl::StrAppend(&out, "</table></div>\n");
  if (!r.activities_available()) {
    absl::StrAppend(&out, "<p class=\"note\">The CRM has no activities, so there are no contact figures.</p>\n");
  }
  absl::StrAppend(&out, "<p class=\"meta\">Pulse coverage report. How each figure is computed: docs/COVERAGE.md.</p>\n",
                  "</body>\n</html>\n");
  return out;
}

}  // namespace pulse

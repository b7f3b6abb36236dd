// The HTML page: self-contained, every CRM string escaped, and each chart
// mark carrying the figure it draws.
#include "sidecar/report/coverage_html.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pulse {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kHostileOwner[] = "<script>alert('owner')</script>";
constexpr char kHostileAccount[] = "\"><img src=x onerror=alert(1)>";

pulse::v1::CoverageSegment* AddSegment(pulse::v1::CoverageFigures* f, const char* id, int64_t accounts,
                                       double revenue_share, double churn_rate) {
  auto* s = f->add_segments();
  s->set_segment(id);
  s->set_accounts(accounts);
  s->set_revenue_share(revenue_share);
  s->set_churn_rate(churn_rate);
  return s;
}

void FillFigures(pulse::v1::CoverageFigures* f, const char* as_of, double outside_share, double tail_churn) {
  f->set_as_of(as_of);
  f->set_accounts(10);
  f->set_revenue(1000);
  f->set_revenue_outside_care_share(outside_share);
  AddSegment(f, "key", 1, 0.5, 0);
  AddSegment(f, "mid", 2, 0.3, 0.25);
  AddSegment(f, "tail", 7, 0.2, tail_churn);
  AddSegment(f, "unowned", 5, 0.15, 0.4);
  AddSegment(f, "all", 10, 1.0, 0.3);
}

pulse::v1::CoverageReport HostileReport() {
  pulse::v1::CoverageReport r;
  r.set_sweep_id(7);
  r.set_as_of("2026-06-30");
  r.set_currency("<b>EUR</b>");
  r.set_summary("<b>EUR</b> 200 of <b>EUR</b> 1,000 revenue ... outside any care model.");
  r.set_period_days(90);
  r.set_contact_window_days(90);
  r.set_at_risk_probability(0.5);
  r.set_activities_available(true);
  FillFigures(r.mutable_current(), "2026-06-30", 0.2, 0.5);
  FillFigures(r.add_trend(), "2026-04-01", 0.1, 0.125);
  *r.add_trend() = r.current();
  auto* owner = r.add_owners();
  owner->set_user_id("u\"1");
  owner->set_name(kHostileOwner);
  owner->set_active(true);
  owner->set_accounts(3);
  owner->set_value_at_risk(1234.5);
  auto* account = r.add_largest_outside_care();
  account->set_account_id("A&1");
  account->set_name(kHostileAccount);
  account->set_tier(pulse::v1::TIER_TAIL);
  account->set_revenue(200);
  return r;
}

TEST(HtmlEscapeTest, EscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape("Mäkinen Oy"), "Mäkinen Oy");
}

TEST(CoverageHtmlTest, EscapesEveryCrmString) {
  const std::string html = RenderCoverageHtml(HostileReport());
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("<b>")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(&#39;owner&#39;)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
  EXPECT_THAT(html, HasSubstr("data-owner=\"u&quot;1\""));
  EXPECT_THAT(html, HasSubstr("data-account=\"A&amp;1\""));
  EXPECT_THAT(html, HasSubstr("&lt;b&gt;EUR&lt;/b&gt; 200 of"));
}

TEST(CoverageHtmlTest, SelfContainedWithAPolicyThatForbidsScripts) {
  const std::string html = RenderCoverageHtml(HostileReport());
  EXPECT_THAT(html, HasSubstr("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                              "style-src 'unsafe-inline'\">"));
  for (const char* external : {" src=\"", " href=", "<link", "<script", "url(", "@import", "@font-face"}) {
    EXPECT_THAT(html, Not(HasSubstr(external))) << external;
  }
  EXPECT_EQ(html, RenderCoverageHtml(HostileReport())) << "deterministic";
}

TEST(CoverageHtmlTest, ChartMarksCarryTheirFigures) {
  const std::string html = RenderCoverageHtml(HostileReport());
  for (const char* id : {"chart-tiers", "chart-churn", "chart-owner-risk", "chart-trend"}) {
    EXPECT_THAT(html, HasSubstr(absl::StrCat("<svg id=\"", id, "\""))) << id;
  }
  // Tier breakdown: accounts and revenue share per tier.
  EXPECT_THAT(html, HasSubstr("data-metric=\"accounts\" data-segment=\"tail\" data-value=\"7\""));
  EXPECT_THAT(html, HasSubstr("data-metric=\"revenue_share\" data-segment=\"key\" data-value=\"0.5\""));
  // Churn by tier.
  EXPECT_THAT(html, HasSubstr("data-metric=\"churn_rate\" data-segment=\"tail\" data-value=\"0.5\""));
  EXPECT_THAT(html, HasSubstr("data-metric=\"churn_rate\" data-segment=\"all\" data-value=\"0.29999999999999999\""));
  // Value at risk by owner.
  EXPECT_THAT(html, HasSubstr("data-metric=\"value_at_risk\" data-owner=\"u&quot;1\" data-value=\"1234.5\""));
  // Trend: one point per day and series.
  EXPECT_THAT(html, HasSubstr("data-metric=\"revenue_outside_care_share\" data-as-of=\"2026-04-01\" "
                              "data-value=\"0.10000000000000001\""));
  EXPECT_THAT(html, HasSubstr("data-metric=\"churn_rate\" data-segment=\"tail\" data-as-of=\"2026-04-01\" "
                              "data-value=\"0.125\""));
  EXPECT_THAT(html, HasSubstr("<polyline"));
}

}  // namespace
}  // namespace pulse

// Tests of the learned churn model, its features and the backtest metrics,
// including the acceptance figures on CDNOW and on the demo generator's data.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/paths.h"
#include "sidecar/common/time_util.h"
#include "sidecar/demo/demo_data.h"
#include "sidecar/engine/backtest.h"
#include "sidecar/engine/churn_learner.h"
#include "sidecar/engine/features.h"
#include "sidecar/engine/scorer.h"
#include "sidecar/stats/bgnbd.h"

namespace pulse {
namespace {

absl::Time EndOf(absl::CivilDay d) { return StartOfDay(d + 1) - absl::Seconds(1); }

TEST(RocAucTest, HandComputedWithTies) {
  // Positives score 0.9, 0.5, 0.5; negatives 0.5, 0.2.
  // Pairs (pos, neg): (0.9,0.5)=1 (0.9,0.2)=1 (0.5,0.5)=.5 (0.5,0.2)=1 twice each -> (1+1+.5+1+.5+1)/6.
  const std::vector<double> score = {0.9, 0.5, 0.5, 0.5, 0.2};
  const std::vector<int> label = {1, 1, 1, 0, 0};
  EXPECT_NEAR(RocAuc(score, label), 5.0 / 6.0, 1e-12);
  EXPECT_NEAR(RocAuc({1, 1, 1, 1}, {1, 0, 1, 0}), 0.5, 1e-12);
  EXPECT_NEAR(RocAuc({0.1, 0.9}, {1, 0}), 0.0, 1e-12);
  EXPECT_TRUE(std::isnan(RocAuc({0.1, 0.2}, {1, 1})));
}

TEST(BrierTest, HandComputed) {
  EXPECT_NEAR(BrierScore({0.8, 0.3, 0.5}, {1, 0, 1}), (0.04 + 0.09 + 0.25) / 3.0, 1e-12);
  EXPECT_TRUE(std::isnan(BrierScore({}, {})));
}

TEST(CalibrationTest, BinsCountAndRates) {
  const std::vector<double> p = {0.05, 0.07, 0.55, 0.58, 0.59, 1.0};
  const std::vector<int> y = {0, 1, 1, 1, 0, 1};
  const std::vector<CalibrationBin> bins = CalibrationTable(p, y, 10);
  ASSERT_EQ(bins.size(), 10u);
  EXPECT_EQ(bins[0].count, 2);
  EXPECT_NEAR(bins[0].mean_predicted, 0.06, 1e-12);
  EXPECT_NEAR(bins[0].observed_rate, 0.5, 1e-12);
  EXPECT_EQ(bins[5].count, 3);
  EXPECT_NEAR(bins[5].observed_rate, 2.0 / 3.0, 1e-12);
  EXPECT_EQ(bins[9].count, 1);  // 1.0 falls into the last bin
  EXPECT_EQ(bins[3].count, 0);
}

TEST(TopKTest, PrecisionAndRevenue) {
  const std::vector<double> score = {0.9, 0.8, 0.1, 0.7};
  const std::vector<int> label = {1, 0, 1, 1};
  const std::vector<double> revenue = {100, 50, 300, 100};
  const TopKResult top2 = TopK(score, label, revenue, 2);
  EXPECT_EQ(top2.k, 2);
  EXPECT_NEAR(top2.precision, 0.5, 1e-12);
  EXPECT_NEAR(top2.revenue_captured, 100.0 / 500.0, 1e-12);
}

TEST(LogisticTest, RecoversKnownCoefficients) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(0, 1);
  std::uniform_real_distribution<double> uniform(0, 1);
  const int n = 20000, cols = 3;
  const double truth[cols] = {1.5, -0.8, 0.0};
  const double intercept = -0.4;
  std::vector<double> x(n * cols);
  std::vector<int> y(n);
  for (int i = 0; i < n; ++i) {
    double z = intercept;
    for (int j = 0; j < cols; ++j) {
      x[i * cols + j] = normal(rng);
      z += truth[j] * x[i * cols + j];
    }
    y[i] = uniform(rng) < 1.0 / (1.0 + std::exp(-z)) ? 1 : 0;
  }
  const LogisticFit fit = FitLogistic(x, cols, y, {}, 1e-6);
  EXPECT_TRUE(fit.converged);
  EXPECT_NEAR(fit.intercept, intercept, 0.06);
  for (int j = 0; j < cols; ++j) EXPECT_NEAR(fit.coef[j], truth[j], 0.06) << j;
  // A strong penalty shrinks towards zero.
  const LogisticFit shrunk = FitLogistic(x, cols, y, {}, 1e5);
  EXPECT_LT(std::fabs(shrunk.coef[0]), 0.5 * std::fabs(fit.coef[0]));
}

// A small synthetic book: `n` accounts ordering every `gap` days from 2022,
// some of which stop at staggered dates.
CustomerData SyntheticBook(int n) {
  CustomerData data;
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int> gap_dist(10, 60);
  std::uniform_int_distribution<int> stop_dist(0, 1000);
  for (int i = 0; i < n; ++i) {
    Account a;
    a.id = absl::StrCat("acc-", i);
    data.accounts.push_back(a);
    const int gap = gap_dist(rng);
    const int stop = i % 3 == 0 ? stop_dist(rng) : 100000;
    int k = 0;
    for (int d = i % 17; d < 1100 && d < stop; d += gap) {
      Order o;
      o.id = absl::StrCat(a.id, "-", k++);
      o.account_id = a.id;
      o.ordered_at = StartOfDay(absl::CivilDay(2022, 1, 1) + d) + absl::Hours(10);
      o.amount = 100 + (i % 7) * 10;
      data.orders.push_back(o);
    }
  }
  return data;
}

TEST(ChurnModelTest, NoLookAheadPoisonedFutureOrdersChangeNothing) {
  CustomerData data = SyntheticBook(600);
  EngineConfig config;
  ScoreParams params;
  params.as_of = EndOf(absl::CivilDay(2023, 12, 31));
  const Portfolio clean = AssessPortfolio(data, config, params);
  ASSERT_EQ(clean.cadence_model.rfind("learned", 0), 0u) << clean.churn_model_summary;
  // Poison: every account orders right after the as-of (it would flip every
  // training label if any label window reached past the as-of), plus a
  // new account after the as-of.
  CustomerData poisoned = data;
  for (const Account& a : data.accounts) {
    for (int d = 1; d < 400; d += 5) {
      Order o;
      o.id = absl::StrCat("poison-", a.id, "-", d);
      o.account_id = a.id;
      o.ordered_at = params.as_of + absl::Hours(24) * d;
      o.amount = 1e6;
      poisoned.orders.push_back(o);
    }
  }
  const Portfolio after = AssessPortfolio(poisoned, config, params);
  EXPECT_EQ(after.churn_model_summary, clean.churn_model_summary);
  ASSERT_EQ(after.accounts.size(), clean.accounts.size());
  for (size_t i = 0; i < clean.accounts.size(); ++i) {
    EXPECT_EQ(after.accounts[i].churn_probability, clean.accounts[i].churn_probability) << clean.accounts[i].account_id;
  }
}

TEST(ChurnModelTest, ScoresDoNotDependOnTheNumberOfThreads) {
  const CustomerData data = SyntheticBook(3000);
  EngineConfig config;
  ScoreParams params;
  params.as_of = EndOf(absl::CivilDay(2023, 12, 31));
  params.threads = 1;
  const Portfolio one = AssessPortfolio(data, config, params);
  params.threads = 5;
  const Portfolio five = AssessPortfolio(data, config, params);
  ASSERT_EQ(one.cadence_model.rfind("learned", 0), 0u) << one.churn_model_summary;
  EXPECT_EQ(five.churn_model_summary, one.churn_model_summary);
  ASSERT_EQ(five.accounts.size(), one.accounts.size());
  for (size_t i = 0; i < one.accounts.size(); ++i) {
    const AccountAssessment& a = one.accounts[i];
    const AccountAssessment& b = five.accounts[i];
    ASSERT_EQ(b.account_id, a.account_id);
    EXPECT_EQ(b.churn_probability, a.churn_probability) << a.account_id;
    EXPECT_EQ(b.tier, a.tier) << a.account_id;
    EXPECT_EQ(b.action, a.action) << a.account_id;
    ASSERT_EQ(b.signals.size(), a.signals.size()) << a.account_id;
    for (size_t k = 0; k < a.signals.size(); ++k) EXPECT_EQ(b.signals[k].evidence, a.signals[k].evidence);
    EXPECT_EQ(five.Find(a.account_id), &b);
  }
}

TEST(ChurnModelTest, ALearnedModelIsReusedOnlyTheSameDay) {
  const CustomerData data = SyntheticBook(600);
  EngineConfig config;
  ScoreParams params;
  params.as_of = EndOf(absl::CivilDay(2023, 12, 31));
  const Portfolio first = AssessPortfolio(data, config, params);
  ASSERT_NE(first.learned, nullptr);
  ASSERT_TRUE(first.learned->model.trained) << first.churn_model_summary;
  // Later the same day, with the model of the first pass: no training, the
  // same probabilities.
  params.as_of = EndOf(absl::CivilDay(2023, 12, 31)) - absl::Hours(3);
  params.reuse_learned = first.learned;
  ScoreTimings timings;
  const Portfolio again = AssessPortfolio(data, config, params, &timings);
  EXPECT_EQ(again.learned, first.learned);
  EXPECT_EQ(timings.learn_seconds, 0);
  EXPECT_THAT(again.churn_model_summary, ::testing::HasSubstr("reused from earlier today"));
  // The next day trains its own model.
  params.as_of = EndOf(absl::CivilDay(2024, 1, 1));
  const Portfolio next = AssessPortfolio(data, config, params);
  EXPECT_NE(next.learned, first.learned);
  EXPECT_EQ(next.learned->as_of_day, first.learned->as_of_day + 1);
}

TEST(ChurnModelTest, FeaturesReadTheAccountsTiersSettings) {
  // volume_falling is a feature only when a comparable earlier window exists:
  // first order at least volume_window_days + 90 days ago. 250 days of
  // history is enough for a 120-day window (key) but not for 180 (tail).
  Account acc;
  acc.id = "a";
  AccountHistory h;
  h.account = &acc;
  const int64_t today = 20000;
  for (int64_t d = today - 250; d <= today; d += 25) h.order_days.push_back({d, 100});
  CadenceParams cadence_params;
  const CadenceEstimate cadence = EstimateCadence(h.order_days, today, cadence_params);
  FeatureParams params;
  params.volume_window_days = PerTier<int>(120, 180, 180);
  const PopulationModel no_bgnbd;
  EXPECT_TRUE(ComputeFeatures(h, cadence, {}, Tier::kKey, today, no_bgnbd, params).present[kFeatVolumeFalling]);
  EXPECT_FALSE(ComputeFeatures(h, cadence, {}, Tier::kTail, today, no_bgnbd, params).present[kFeatVolumeFalling]);
  EXPECT_FALSE(ComputeFeatures(h, cadence, {}, Tier::kMid, today, no_bgnbd, params).present[kFeatVolumeFalling]);
}

TEST(ChurnModelTest, CutHistoriesSeesNothingAfterTheCut) {
  CustomerData data = SyntheticBook(50);
  const CustomerHistories view = BuildHistories(data, EndOf(absl::CivilDay(2023, 12, 31)));
  const int64_t cut = view.as_of_day - 200;
  std::vector<size_t> source;
  const CustomerHistories cut_view = CutHistories(view, cut, {}, &source);
  ASSERT_EQ(cut_view.accounts.size(), source.size());
  for (const AccountHistory& h : cut_view.accounts) {
    for (const OrderDay& d : h.order_days) EXPECT_LE(d.day, cut);
  }
}

TEST(ChurnModelTest, ShortHistoryFallsBackToHandWeights) {
  CustomerData data = SyntheticBook(40);  // far fewer than 200 labelled accounts
  EngineConfig config;
  ScoreParams params;
  params.as_of = EndOf(absl::CivilDay(2023, 12, 31));
  const Portfolio p = AssessPortfolio(data, config, params);
  EXPECT_EQ(p.cadence_model, "own-cadence");
  EXPECT_THAT(p.churn_model_summary, ::testing::HasSubstr("hand weights"));
  for (const AccountAssessment& a : p.accounts) {
    EXPECT_NE(a.cadence_model, "learned");
    EXPECT_TRUE(a.contributions.empty());
  }
  // One day of history only: nothing to replay either.
  params.as_of = EndOf(absl::CivilDay(2022, 1, 20));
  const Portfolio young = AssessPortfolio(SyntheticBook(600), config, params);
  EXPECT_EQ(young.cadence_model, "own-cadence") << young.churn_model_summary;
}

TEST(ChurnModelTest, LearnedScoresAreExplained) {
  CustomerData data = SyntheticBook(600);
  EngineConfig config;
  ScoreParams params;
  params.as_of = EndOf(absl::CivilDay(2023, 12, 31));
  const Portfolio p = AssessPortfolio(data, config, params);
  int explained = 0;
  for (const AccountAssessment& a : p.accounts) {
    if (a.cadence_model != "learned") continue;
    EXPECT_GT(a.churn_probability, 0.0);
    EXPECT_LT(a.churn_probability, 1.0);
    explained += a.contributions.empty() ? 0 : 1;
  }
  EXPECT_GT(explained, 500);
}

// A book drawn from BG/NBD in days (rate ~ Gamma(r, alpha), dropout after
// each repeat order ~ Beta(a, b)), first orders spread over the first 90
// days of `history_days`, so the truth is known: for each account,
// `true_no_order(account, t)` is P(no order in the next t days | its orders)
// under the generating parameters.
struct SimulatedBook {
  CustomerData data;
  absl::CivilDay as_of;
  stats::BgNbdParams truth;
  std::map<std::string, stats::RfmSummary> rfm;  // in days, at the as-of
};

SimulatedBook SimulateBgNbdBook(int n, int history_days, uint64_t seed) {
  SimulatedBook book;
  book.truth = {1.2, 45.0, 1.0, 3.0};
  const absl::CivilDay start(2021, 1, 1);
  book.as_of = start + history_days;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::gamma_distribution<double> rate(book.truth.r, 1.0 / book.truth.alpha);
  std::gamma_distribution<double> beta_a(book.truth.a, 1.0), beta_b(book.truth.b, 1.0);
  for (int i = 0; i < n; ++i) {
    Account acc;
    acc.id = absl::StrCat("sim-", i);
    const double lambda = rate(rng);
    const double ga = beta_a(rng), gb = beta_b(rng);
    const double p = ga / (ga + gb);
    std::vector<int64_t> days;
    double t = 90.0 * uniform(rng);
    const double first = std::floor(t);
    days.push_back(static_cast<int64_t>(first));
    while (true) {
      t += -std::log(1.0 - uniform(rng)) / lambda;
      if (t >= history_days + 1) break;
      const int64_t d = static_cast<int64_t>(std::floor(t));
      if (d != days.back()) days.push_back(d);
      if (uniform(rng) < p) break;  // dropped out after this repeat order
    }
    for (size_t k = 0; k < days.size(); ++k) {
      Order o;
      o.id = absl::StrCat(acc.id, "-", k);
      o.account_id = acc.id;
      o.ordered_at = StartOfDay(start + days[k]) + absl::Hours(10);
      o.amount = 100;
      book.data.orders.push_back(o);
    }
    const double x = static_cast<double>(days.size() - 1);
    const double T = static_cast<double>(history_days) + 1 - first;
    book.rfm[acc.id] = stats::RfmSummary(x, x > 0 ? static_cast<double>(days.back()) - first + 0.5 : 0.0, T);
    book.data.accounts.push_back(std::move(acc));
  }
  return book;
}

// Nine months of history and a 273-day horizon (CDNOW's shape): the labels
// can only cover 136 days. The probabilities must still be those of no order
// in 273 days: per calibration bin, their mean is close to the true
// P(no order in 273 days), and clearly not the true P(no order in 136 days)
// that the labels measured.
TEST(ChurnModelTest, ShortHistoryIsCalibratedToTheHorizon) {
  const SimulatedBook book = SimulateBgNbdBook(6000, 280, 23);
  EngineConfig config;
  config.contact.horizon_days = 273;
  ScoreParams params;
  params.as_of = EndOf(book.as_of);
  const Portfolio p = AssessPortfolio(book.data, config, params);
  ASSERT_EQ(p.cadence_model, "learned+bgnbd") << p.churn_model_summary;
  ASSERT_THAT(p.churn_model_summary, ::testing::HasSubstr("label 'no order in 136 days'"));
  struct Bin {
    int n = 0;
    double predicted = 0, true_horizon = 0, true_window = 0;
  };
  std::array<Bin, 10> bins;
  double brier_vs_truth = 0;
  int scored = 0;
  for (const AccountAssessment& a : p.accounts) {
    const stats::RfmSummary& rfm = book.rfm.at(a.account_id);
    const double true_h = stats::BgNbdProbabilityNoPurchase(book.truth, rfm, 273);
    const double true_w = stats::BgNbdProbabilityNoPurchase(book.truth, rfm, 136);
    Bin& b = bins[std::min(9, static_cast<int>(a.churn_probability * 10))];
    ++b.n;
    b.predicted += a.churn_probability;
    b.true_horizon += true_h;
    b.true_window += true_w;
    brier_vs_truth += (a.churn_probability - true_h) * (a.churn_probability - true_h);
    ++scored;
  }
  ASSERT_GT(scored, 5000);
  int checked = 0;
  for (size_t k = 0; k < bins.size(); ++k) {
    const Bin& b = bins[k];
    if (b.n < 200) continue;
    const double predicted = b.predicted / b.n, true_h = b.true_horizon / b.n, true_w = b.true_window / b.n;
    std::cout << "bin " << k << ": n=" << b.n << " predicted " << predicted << " true P(no order in 273 d) " << true_h
              << " in 136 d " << true_w << "\n";
    EXPECT_NEAR(predicted, true_h, 0.04) << "bin " << k;
    ++checked;
  }
  EXPECT_GE(checked, 3);
  // The window's probabilities would be a long way off in the middle: the
  // test can tell calibrated-to-the-window from calibrated-to-the-horizon.
  double largest_gap = 0;
  for (const Bin& b : bins) {
    if (b.n >= 200) largest_gap = std::max(largest_gap, (b.true_window - b.true_horizon) / b.n);
  }
  EXPECT_GT(largest_gap, 0.08);
  std::cout << "RMS error against the true P(no order in 273 days): " << std::sqrt(brier_vs_truth / scored) << "\n";
  EXPECT_LT(std::sqrt(brier_vs_truth / scored), 0.08);
}

std::string CdnowPath() {
  return ::pulse::testing::SourceDir() + "/../shared/data/cdnow/CDNOW_master.txt";
}

TEST(BacktestAcceptanceTest, CdnowPulseBeatsEveryBaseline) {
  std::ifstream in(CdnowPath());
  // The shared data sits beside the checkout, in CI too: missing is a failure.
  ASSERT_TRUE(in) << "CDNOW_master.txt not found at " << CdnowPath();
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<CustomerData> data = ParseCdnowTransactions(text.str());
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->accounts.size(), 23570u);
  BacktestParams params;
  params.as_of = EndOf(absl::CivilDay(1997, 9, 30));
  params.horizon_days = static_cast<int>(absl::CivilDay(1998, 6, 30) - absl::CivilDay(1997, 9, 30));
  params.capacity = 500;
  absl::StatusOr<BacktestReport> report = RunBacktest(*data, EngineConfig{}, params);
  ASSERT_TRUE(report.ok()) << report.status();
  std::cout << BacktestReportToText(*report);
  ASSERT_GE(report->models.size(), 5u);
  ASSERT_EQ(report->models[0].name, "pulse");
  const double pulse_auc = report->models[0].auc;
  EXPECT_GE(pulse_auc, 0.73);
  for (size_t i = 1; i < report->models.size(); ++i) {
    EXPECT_GT(pulse_auc, report->models[i].auc) << report->models[i].name;
  }
}

TEST(BacktestAcceptanceTest, DemoFadingAccountsTopTheQueue) {
  DemoParams demo;
  demo.accounts = 3000;
  demo.seed = 42;
  demo.end_day = absl::CivilDay(2026, 6, 30);
  DemoTruth truth;
  absl::StatusOr<CustomerData> data = GenerateDemoData(demo, &truth);
  ASSERT_TRUE(data.ok()) << data.status();
  ScoreParams params;
  params.as_of = EndOf(demo.end_day);
  const Portfolio p = AssessPortfolio(*data, EngineConfig{}, params);
  std::cout << "demo model: " << p.churn_model_summary << "\n";
  EXPECT_EQ(p.cadence_model.rfind("learned", 0), 0u);
  // Rank every account with orders by churn probability.
  std::vector<std::pair<double, std::string>> ranked;
  for (const AccountAssessment& a : p.accounts) {
    if (a.orders_total > 0) ranked.push_back({-a.churn_probability, a.account_id});
  }
  std::sort(ranked.begin(), ranked.end());
  absl::flat_hash_map<std::string, size_t> rank;
  for (size_t i = 0; i < ranked.size(); ++i) rank[ranked[i].second] = i;
  std::vector<double> fading_ranks;
  for (const DemoAccountTruth& t : truth.accounts) {
    if (t.scenario != DemoScenario::kFading && t.scenario != DemoScenario::kStopped) continue;
    auto it = rank.find(t.account_id);
    if (it != rank.end()) fading_ranks.push_back(static_cast<double>(it->second) / ranked.size());
  }
  ASSERT_GT(fading_ranks.size(), 20u);
  std::sort(fading_ranks.begin(), fading_ranks.end());
  const double median = fading_ranks[fading_ranks.size() / 2];
  std::cout << "demo: " << fading_ranks.size() << " fading/stopped accounts, median rank quantile " << median << "\n";
  EXPECT_LT(median, 0.25);
}

}  // namespace
}  // namespace pulse

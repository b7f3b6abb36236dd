#include "sidecar/engine/backtest.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "sidecar/common/time_util.h"
#include "sidecar/engine/account_history.h"
#include "sidecar/engine/features.h"
#include "sidecar/engine/scorer.h"
#include "sidecar/stats/bgnbd.h"

namespace pulse {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double NbdLogLikelihood(double r, double alpha, const std::vector<double>& x, const std::vector<double>& T) {
  double ll = 0;
  const double lg_r = std::lgamma(r);
  for (size_t i = 0; i < x.size(); ++i) {
    ll += std::lgamma(r + x[i]) - lg_r - std::lgamma(x[i] + 1) + r * std::log(alpha / (alpha + T[i])) +
          (x[i] > 0 ? x[i] * std::log(T[i] / (alpha + T[i])) : 0.0);
  }
  return ll;
}

std::string JsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  return absl::StrFormat("%.6g", v);
}

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&out, absl::StrFormat("\\u%04x", static_cast<int>(c)));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string TopKJson(const TopKResult& t) {
  return absl::StrCat("{\"k\":", t.k, ",\"precision\":", JsonNumber(t.precision),
                      ",\"revenue_captured\":", JsonNumber(t.revenue_captured), "}");
}

}  // namespace

double RocAuc(const std::vector<double>& score, const std::vector<int>& label) {
  if (score.size() != label.size() || score.empty()) return kNaN;
  std::vector<size_t> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
  // Sum of the positives' mid-ranks.
  double rank_sum = 0;
  int64_t positives = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && score[order[j]] == score[order[i]]) ++j;
    const double mid_rank = 0.5 * (static_cast<double>(i + 1) + static_cast<double>(j));
    for (size_t k = i; k < j; ++k) {
      if (label[order[k]] != 0) {
        rank_sum += mid_rank;
        ++positives;
      }
    }
    i = j;
  }
  const int64_t negatives = static_cast<int64_t>(score.size()) - positives;
  if (positives == 0 || negatives == 0) return kNaN;
  const double u = rank_sum - 0.5 * static_cast<double>(positives) * static_cast<double>(positives + 1);
  return u / (static_cast<double>(positives) * static_cast<double>(negatives));
}

double BrierScore(const std::vector<double>& probability, const std::vector<int>& label) {
  if (probability.size() != label.size() || probability.empty()) return kNaN;
  double sum = 0;
  for (size_t i = 0; i < probability.size(); ++i) {
    const double d = probability[i] - (label[i] != 0 ? 1.0 : 0.0);
    sum += d * d;
  }
  return sum / static_cast<double>(probability.size());
}

std::vector<CalibrationBin> CalibrationTable(const std::vector<double>& probability, const std::vector<int>& label,
                                             int bins) {
  bins = std::max(1, bins);
  std::vector<CalibrationBin> out(static_cast<size_t>(bins));
  std::vector<double> positives(static_cast<size_t>(bins), 0.0);
  for (int b = 0; b < bins; ++b) {
    out[b].lower = static_cast<double>(b) / bins;
    out[b].upper = static_cast<double>(b + 1) / bins;
  }
  for (size_t i = 0; i < probability.size() && i < label.size(); ++i) {
    const double p = std::clamp(probability[i], 0.0, 1.0);
    const int b = std::min(bins - 1, static_cast<int>(std::floor(p * bins)));
    ++out[b].count;
    out[b].mean_predicted += p;
    positives[b] += label[i] != 0 ? 1.0 : 0.0;
  }
  for (int b = 0; b < bins; ++b) {
    if (out[b].count > 0) {
      out[b].mean_predicted /= static_cast<double>(out[b].count);
      out[b].observed_rate = positives[b] / static_cast<double>(out[b].count);
    }
  }
  return out;
}

TopKResult TopK(const std::vector<double>& score, const std::vector<int>& label, const std::vector<double>& revenue,
                int64_t k) {
  TopKResult out;
  const size_t n = std::min(score.size(), label.size());
  k = std::clamp<int64_t>(k, 0, static_cast<int64_t>(n));
  out.k = k;
  if (k == 0) return out;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] > score[b]; });
  double hits = 0, captured = 0, total = 0;
  for (size_t i = 0; i < n; ++i) {
    if (label[i] != 0 && i < revenue.size()) total += revenue[i];
  }
  for (int64_t r = 0; r < k; ++r) {
    const size_t i = order[r];
    if (label[i] != 0) {
      hits += 1;
      if (i < revenue.size()) captured += revenue[i];
    }
  }
  out.precision = hits / static_cast<double>(k);
  out.revenue_captured = total > 0 ? captured / total : 0.0;
  return out;
}

NbdParams FitNbd(const std::vector<double>& x, const std::vector<double>& T) {
  NbdParams out;
  if (x.empty() || x.size() != T.size()) return out;
  // Newton's method on (log r, log alpha) with numerical derivatives and
  // step halving: two parameters, so this is cheap and robust.
  double mean_x = 0, mean_T = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    mean_x += x[i];
    mean_T += T[i];
  }
  mean_x /= x.size();
  mean_T /= x.size();
  if (mean_x <= 0 || mean_T <= 0) return out;
  double lr = 0.0, la = std::log(mean_T / mean_x);  // r = 1, alpha matching the mean rate
  auto f = [&](double a, double b) { return NbdLogLikelihood(std::exp(a), std::exp(b), x, T); };
  double cur = f(lr, la);
  constexpr double h = 1e-4;
  for (int it = 0; it < 100; ++it) {
    const double f0 = cur;
    const double fpr = f(lr + h, la), fmr = f(lr - h, la), fpa = f(lr, la + h), fma = f(lr, la - h);
    const double gr = (fpr - fmr) / (2 * h), ga = (fpa - fma) / (2 * h);
    double hrr = (fpr - 2 * f0 + fmr) / (h * h), haa = (fpa - 2 * f0 + fma) / (h * h);
    const double hra = (f(lr + h, la + h) - f(lr + h, la - h) - f(lr - h, la + h) + f(lr - h, la - h)) / (4 * h * h);
    double sr, sa;
    const double det = hrr * haa - hra * hra;
    if (hrr < 0 && det > 0) {
      sr = -(haa * gr - hra * ga) / det;
      sa = -(-hra * gr + hrr * ga) / det;
    } else {
      sr = 0.1 * gr / (std::fabs(gr) + std::fabs(ga) + 1e-12);  // gradient ascent
      sa = 0.1 * ga / (std::fabs(gr) + std::fabs(ga) + 1e-12);
    }
    double scale = 1;
    bool improved = false;
    for (int half = 0; half < 40; ++half) {
      const double v = f(lr + scale * sr, la + scale * sa);
      if (std::isfinite(v) && v >= cur) {
        lr += scale * sr;
        la += scale * sa;
        cur = v;
        improved = true;
        break;
      }
      scale *= 0.5;
    }
    if (!improved || std::max(std::fabs(scale * sr), std::fabs(scale * sa)) < 1e-9) break;
  }
  out.r = std::exp(lr);
  out.alpha = std::exp(la);
  out.ok = std::isfinite(cur) && std::isfinite(out.r) && std::isfinite(out.alpha);
  return out;
}

double NbdProbabilityNoPurchase(const NbdParams& params, double x, double T, double t) {
  if (!params.ok) return kNaN;
  return std::pow((params.alpha + T) / (params.alpha + T + t), params.r + x);
}

absl::StatusOr<CustomerData> ParseCdnowTransactions(absl::string_view text) {
  CustomerData data;
  absl::flat_hash_map<std::string, size_t> accounts;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (line_no == 1 && !fields.empty() && !absl::ascii_isdigit(fields[0][0])) continue;  // header
    if (fields.size() != 4) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_no, ": expected 4 fields (customer_id date cds dollars), got ", fields.size()));
    }
    int date = 0;
    double cds = 0, dollars = 0;
    if (!absl::SimpleAtoi(fields[1], &date) || date < 19000101 || date > 29991231) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_no, ": date '", fields[1], "' is not yyyymmdd"));
    }
    if (!absl::SimpleAtod(fields[2], &cds) || !absl::SimpleAtod(fields[3], &dollars) || !std::isfinite(dollars)) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_no, ": cds or dollars is not a number"));
    }
    const absl::CivilDay day(date / 10000, (date / 100) % 100, date % 100);
    if (day.year() != date / 10000 || day.month() != (date / 100) % 100 || day.day() != date % 100) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_no, ": date '", fields[1], "' does not exist"));
    }
    const std::string id(fields[0]);
    if (accounts.emplace(id, data.accounts.size()).second) {
      Account a;
      a.id = id;
      a.name = absl::StrCat("customer ", id);
      data.accounts.push_back(std::move(a));
    }
    Order o;
    o.id = absl::StrCat("line-", line_no);
    o.account_id = id;
    o.ordered_at = StartOfDay(day) + absl::Hours(12);
    o.amount = dollars;
    o.currency = "USD";
    data.orders.push_back(std::move(o));
  }
  if (data.orders.empty()) return absl::InvalidArgumentError("no transactions in the data");
  return data;
}

absl::StatusOr<BacktestReport> RunBacktest(const CustomerData& data, const EngineConfig& config,
                                           const BacktestParams& params) {
  BacktestReport report;
  report.horizon_days = params.horizon_days;
  const CustomerHistories histories = BuildHistories(data, params.as_of);
  const int64_t today = histories.as_of_day;
  report.as_of_day = FormatIsoDay(CivilFromEpochDay(today));
  report.horizon_end_day = FormatIsoDay(CivilFromEpochDay(today + params.horizon_days));

  // What happened after: order days in (as-of, as-of + horizon], from all data.
  absl::flat_hash_map<absl::string_view, bool> ordered_after;
  for (const Order& o : data.orders) {
    const int64_t d = EpochDay(o.ordered_at);
    if (o.ordered_at > params.as_of && d <= today + params.horizon_days) ordered_after[o.account_id] = true;
  }

  EngineConfig scoring = config;
  scoring.contact.horizon_days = params.horizon_days;
  ScoreParams score_params;
  score_params.as_of = params.as_of;
  const Portfolio portfolio = AssessPortfolio(data, scoring, score_params);
  report.pulse_model = portfolio.churn_model_summary;

  // Population-level baselines: NBD and BG/NBD fitted on every account with
  // orders (weeks), as in the literature.
  std::vector<double> nbd_x, nbd_T;
  for (const AccountHistory& h : histories.accounts) {
    if (h.order_days.empty() || h.order_days.front().day >= today) continue;
    nbd_x.push_back(static_cast<double>(h.order_days.size() - 1));
    nbd_T.push_back(static_cast<double>(today - h.order_days.front().day) / 7.0);
  }
  const NbdParams nbd = FitNbd(nbd_x, nbd_T);
  if (!nbd.ok) report.notes.push_back("NBD fit failed; its column is empty");
  const PopulationModel bg = FitPopulationModel(histories, 0);
  if (!bg.usable) report.notes.push_back(bg.note);

  std::vector<double> pulse, days_since, rule90, nbd_p, bg_p, revenue;
  std::vector<int> label;
  for (const AccountHistory& h : histories.accounts) {
    if (h.order_days.size() < 2) continue;
    const AccountAssessment* a = portfolio.Find(h.account->id);
    if (a == nullptr) continue;
    const double since = static_cast<double>(today - h.order_days.back().day);
    const double x = static_cast<double>(h.order_days.size() - 1);
    const double T = static_cast<double>(today - h.order_days.front().day) / 7.0;
    const double t_x = static_cast<double>(h.order_days.back().day - h.order_days.front().day) / 7.0;
    pulse.push_back(a->churn_probability);
    days_since.push_back(since);
    rule90.push_back(since > 90 ? 1.0 : 0.0);
    nbd_p.push_back(NbdProbabilityNoPurchase(nbd, x, T, params.horizon_days / 7.0));
    if (bg.usable) {
      bg_p.push_back(stats::BgNbdProbabilityNoPurchase({bg.r, bg.alpha, bg.a, bg.b}, stats::RfmSummary(x, t_x, T),
                                                       params.horizon_days / 7.0));
    }
    double trailing = 0;
    for (const OrderDay& d : h.order_days) trailing += d.day > today - 365 ? d.amount : 0.0;
    revenue.push_back(trailing);
    label.push_back(ordered_after.contains(h.account->id) ? 0 : 1);
  }
  report.accounts = static_cast<int64_t>(label.size());
  for (int y : label) report.churned += y;
  if (report.accounts == 0) return absl::FailedPreconditionError("no repeat buyers (two or more order days) at the as-of");
  if (report.churned == 0 || report.churned == report.accounts) {
    return absl::FailedPreconditionError("every repeat buyer has the same outcome in the horizon: nothing to rank");
  }
  const int64_t ten_percent = std::max<int64_t>(1, report.accounts / 10);
  auto add = [&](const std::string& name, const std::vector<double>& score, bool probability) {
    if (score.size() != label.size()) return;
    ModelResult m;
    m.name = name;
    m.auc = RocAuc(score, label);
    if (probability) {
      m.brier = BrierScore(score, label);
      m.calibration = CalibrationTable(score, label, 10);
    }
    if (params.capacity > 0) m.top_capacity = TopK(score, label, revenue, params.capacity);
    m.top_10_percent = TopK(score, label, revenue, ten_percent);
    report.models.push_back(std::move(m));
  };
  add("pulse", pulse, true);
  add("days_since_last_order", days_since, false);
  add("rule_90_days", rule90, true);
  if (nbd.ok) add("nbd", nbd_p, true);
  if (bg.usable) add("bgnbd", bg_p, true);
  return report;
}

std::string BacktestReportToJson(const BacktestReport& report) {
  std::string out = absl::StrCat("{\"as_of\":", JsonString(report.as_of_day),
                                 ",\"horizon_end\":", JsonString(report.horizon_end_day),
                                 ",\"horizon_days\":", report.horizon_days, ",\"accounts\":", report.accounts,
                                 ",\"churned\":", report.churned, ",\"pulse_model\":", JsonString(report.pulse_model),
                                 ",\"notes\":[");
  for (size_t i = 0; i < report.notes.size(); ++i) absl::StrAppend(&out, i ? "," : "", JsonString(report.notes[i]));
  absl::StrAppend(&out, "],\"models\":[");
  for (size_t i = 0; i < report.models.size(); ++i) {
    const ModelResult& m = report.models[i];
    absl::StrAppend(&out, i ? "," : "", "{\"name\":", JsonString(m.name), ",\"auc\":", JsonNumber(m.auc),
                    ",\"brier\":", m.brier.has_value() ? JsonNumber(*m.brier) : "null",
                    ",\"top_capacity\":", TopKJson(m.top_capacity), ",\"top_10_percent\":", TopKJson(m.top_10_percent),
                    ",\"calibration\":[");
    for (size_t b = 0; b < m.calibration.size(); ++b) {
      const CalibrationBin& c = m.calibration[b];
      absl::StrAppend(&out, b ? "," : "", "{\"lower\":", JsonNumber(c.lower), ",\"upper\":", JsonNumber(c.upper),
                      ",\"count\":", c.count, ",\"mean_predicted\":", JsonNumber(c.mean_predicted),
                      ",\"observed_rate\":", JsonNumber(c.observed_rate), "}");
    }
    absl::StrAppend(&out, "]}");
  }
  absl::StrAppend(&out, "]}\n");
  return out;
}

std::string BacktestReportToText(const BacktestReport& report) {
  std::string out = absl::StrFormat(
      "Backtest as of %s, horizon %d days (to %s): %d repeat buyers, %d (%.1f %%) placed no order.\nPulse: %s\n",
      report.as_of_day, report.horizon_days, report.horizon_end_day, report.accounts, report.churned,
      100.0 * report.churned / std::max<int64_t>(1, report.accounts), report.pulse_model);
  for (const std::string& n : report.notes) absl::StrAppend(&out, "Note: ", n, "\n");
  const int64_t cap_k = report.models.empty() ? 0 : report.models[0].top_capacity.k;
  const int64_t ten_k = report.models.empty() ? 0 : report.models[0].top_10_percent.k;
  absl::StrAppend(&out, absl::StrFormat("\n%-22s %7s %8s %11s %11s %11s %11s\n", "model", "AUC", "Brier",
                                        absl::StrCat("prec@", cap_k), absl::StrCat("rev@", cap_k),
                                        absl::StrCat("prec@", ten_k), absl::StrCat("rev@", ten_k)));
  for (const ModelResult& m : report.models) {
    absl::StrAppend(&out, absl::StrFormat("%-22s %7.4f %8s %11s %11s %11.3f %11.3f\n", m.name, m.auc,
                                          m.brier.has_value() ? absl::StrFormat("%.4f", *m.brier) : "-",
                                          cap_k > 0 ? absl::StrFormat("%.3f", m.top_capacity.precision) : "-",
                                          cap_k > 0 ? absl::StrFormat("%.3f", m.top_capacity.revenue_captured) : "-",
                                          m.top_10_percent.precision, m.top_10_percent.revenue_captured));
  }
  for (const ModelResult& m : report.models) {
    if (m.name != "pulse") continue;
    absl::StrAppend(&out, "\nCalibration of pulse (predicted P(no order) -> observed):\n");
    for (const CalibrationBin& c : m.calibration) {
      if (c.count == 0) continue;
      absl::StrAppend(&out, absl::StrFormat("  %.1f-%.1f  n=%-7d predicted %.3f  observed %.3f\n", c.lower, c.upper,
                                            c.count, c.mean_predicted, c.observed_rate));
    }
  }
  return out;
}

}  // namespace pulse

#include "sidecar/demo/demo_data.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "sidecar/demo/demo_format.h"
#include "sidecar/demo/demo_random.h"
#include "sidecar/demo/demo_vocabulary.h"

namespace pulse {
namespace {

using demo_internal::DemoRandom;
using demo_internal::MixSeed;
using demo_internal::Product;

constexpr int64_t kSecondsPerDay = 86400;
// "No such day": far beyond any date, yet safe to add a few days to.
constexpr int64_t kNever = int64_t{1} << 40;
const absl::CivilDay kEpochDay(1970, 1, 1);

// The random stream of the sellers; accounts use their index as the stream.
constexpr uint64_t kSellerStream = 0xFFFFFFFFFFFFFF00ULL;

constexpr int kMinAccounts = 10;
constexpr int kMaxAccounts = 2000000;

// Shares of the injected scenarios, of all accounts. contact_gap needs an
// owner, so it is drawn among owned accounts at a rate that gives this share
// overall; the departed seller's accounts become owner_left whatever they drew.
constexpr double kFadingShare = 0.08;
constexpr double kStoppedShare = 0.04;
constexpr double kComplaintsShare = 0.04;
constexpr double kKeyContactLeftShare = 0.03;
constexpr double kGrowingShare = 0.06;
constexpr double kSeasonalShare = 0.06;
constexpr double kNewShare = 0.04;
constexpr double kContactGapShare = 0.05;

// Tiers by value, and how many tail accounts have an owner.
constexpr double kKeyShare = 0.03;
constexpr double kMidShare = 0.20;
constexpr double kOwnedTailShare = 0.40;
constexpr double kOwnedShare = kKeyShare + kMidShare + (1 - kKeyShare - kMidShare) * kOwnedTailShare;

// Days since 1970-01-01 and back.
int64_t DayNumber(absl::CivilDay d) { return d - kEpochDay; }
absl::CivilDay CivilOf(int64_t day) { return kEpochDay + day; }
// 0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday).
int Weekday(int64_t day) { return static_cast<int>(((day % 7) + 7 + 3) % 7); }
// Weekend days move to the next Monday: a wholesaler's customers order, call
// and complain on working days.
int64_t NextWorkingDay(int64_t day) {
  const int wd = Weekday(day);
  return wd == 5 ? day + 2 : (wd == 6 ? day + 1 : day);
}
absl::Time TimeAt(int64_t unix_seconds) { return absl::FromUnixSeconds(unix_seconds); }
double MonthsBetween(int64_t from_day, int64_t to_day) { return (to_day - from_day) / 30.44; }

// "ACC-000042": zero-padded to `width`, wider when the number needs it.
std::string NumberedId(absl::string_view prefix, int64_t n, int width) {
  std::string digits = absl::StrCat(n);
  if (static_cast<int>(digits.size()) < width) digits.insert(0, width - digits.size(), '0');
  return absl::StrCat(prefix, digits);
}

// Everything shared by all accounts: the calendar and the sales team.
struct World {
  DemoParams params;
  int64_t start_day = 0;    // first day of history
  int64_t end_day = 0;      // last day, inclusive
  int64_t end_second = 0;   // last second, inclusive
  std::vector<User> users;  // sellers first, then the pool
  int num_sellers = 0;
  int departed_seller = 0;
  int64_t departure_day = 0;
  int64_t departed_anchor_account = 0;  // always owned by the departed seller
  std::vector<std::string> pool_user_ids;
};

}  // namespace

absl::Status ValidateDemoParams(const DemoParams& params) {
  if (params.accounts < kMinAccounts || params.accounts > kMaxAccounts) {
    return absl::InvalidArgumentError(absl::StrCat("demo accounts must be between ", kMinAccounts, " and ",
                                                   kMaxAccounts, ", got ", params.accounts));
  }
  if (params.years_of_history < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("demo years of history must be at least 1, got ", params.years_of_history));
  }
  if (params.years_of_history > 50) {
    return absl::InvalidArgumentError(
        absl::StrCat("demo years of history must be at most 50, got ", params.years_of_history));
  }
  if (params.end_day.year() < 1971 + params.years_of_history + 10 || params.end_day.year() > 9000) {
    return absl::InvalidArgumentError(
        absl::StrCat("demo end day ", absl::FormatCivilTime(params.end_day), " is out of range"));
  }
  return absl::OkStatus();
}

namespace {

World MakeWorld(const DemoParams& params) {
  World w;
  w.params = params;
  w.end_day = DayNumber(params.end_day);
  const absl::CivilDay start(params.end_day.year() - params.years_of_history, params.end_day.month(),
                             params.end_day.day());
  w.start_day = DayNumber(start) + 1;
  w.end_second = (w.end_day + 1) * kSecondsPerDay - 1;

  DemoRandom rng(MixSeed(params.seed, kSellerStream));
  w.num_sellers = std::max(3, params.accounts / 60);
  absl::flat_hash_set<std::string> emails;
  for (int i = 0; i < w.num_sellers; ++i) {
    User u;
    u.id = NumberedId("u-", i + 1, 3);
    const demo_internal::PersonName person = demo_internal::RandomPerson(rng, "FI");
    u.name = absl::StrCat(person.first, " ", person.last);
    std::string local = demo_internal::EmailLocalPart(person);
    for (int n = 2; !emails.insert(local).second; ++n) {
      local = absl::StrCat(demo_internal::EmailLocalPart(person), n);
    }
    u.email = absl::StrCat(local, "@pohjolan-teollisuustukku.example");
    u.active = true;
    u.weekly_capacity = static_cast<int>(rng.UniformInt(10, 25));
    w.users.push_back(std::move(u));
  }
  w.departed_seller = static_cast<int>(rng.PickIndex(w.num_sellers));
  w.users[w.departed_seller].active = false;
  w.departure_day = w.end_day - rng.UniformInt(30, 120);
  w.departed_anchor_account = rng.UniformInt(0, params.accounts - 1);
  const char* const kPoolNames[] = {"Asiakaspalvelu / Customer Service 1",
                                    "Asiakaspalvelu / Customer Service 2"};
  for (int i = 0; i < 2; ++i) {
    User u;
    u.id = absl::StrCat("cs-", i + 1);
    u.name = kPoolNames[i];
    u.email = absl::StrCat("asiakaspalvelu", i + 1, "@pohjolan-teollisuustukku.example");
    u.active = true;
    u.weekly_capacity = 30;
    w.pool_user_ids.push_back(u.id);
    w.users.push_back(std::move(u));
  }
  return w;
}

// One account's hidden plan: who it is and how it behaves.
struct AccountPlan {
  Tier tier = Tier::kTail;
  int owner = -1;  // seller index, -1 = unowned
  DemoScenario scenario = DemoScenario::kSteady;
  std::string country;
  int64_t created_day = 0;
  int64_t first_day = 0;  // the first day it can have history
  double annual_revenue_eur = 0;
  double gap_days = 0;  // mean days between orders
  double discount = 0;
  std::vector<int> regulars;           // catalogue indexes it reorders
  int64_t fade_day = kNever;           // fading, complaints burst, contact gap, contact left...
  int64_t stop_day = kNever;           // no orders after this day
  int64_t activity_stop_day = kNever;  // the owner logs nothing after this day
  int season_start_month = 0;
  int season_months = 12;
  double growth_end = 1;
};

// Orders, with amounts in cents while they are built so that lines sum exactly.
struct DraftLine {
  int product = 0;
  int64_t quantity = 0;
  int64_t amount_cents = 0;
};
struct DraftOrder {
  int64_t at = 0;  // unix seconds
  std::vector<DraftLine> lines;
};

class AccountGenerator {
 public:
  explicit AccountGenerator(const World& world) : w_(world), rng_(0) {}

  void Generate(int64_t index, DemoAccountRecords* out);

 private:
  void Plan(int64_t index, DemoAccountRecords* out);
  void MakeContacts(DemoAccountRecords* out);
  void MakeOrders(DemoAccountRecords* out);
  void MakeCases(DemoAccountRecords* out);
  void MakeActivities(DemoAccountRecords* out);
  void MakeFeedback(DemoAccountRecords* out);
  void MakeEngagement(DemoAccountRecords* out);

  DraftOrder DraftOrderOn(int64_t day, double target_eur);
  // A random second of `day` between `from_hour` and `to_hour` UTC.
  int64_t SecondOn(int64_t day, int from_hour, int to_hour) {
    return day * kSecondsPerDay + from_hour * 3600 + rng_.UniformInt(0, (to_hour - from_hour) * 3600 - 1);
  }
  bool InSeason(int64_t day) const;
  int64_t NextSeasonStart(int64_t day);
  // The account's order size and order gap on `day` relative to its usual
  // ones (1 = as usual): where fading, complaints and growth show.
  double AmountFactor(int64_t day) const;
  double GapFactor(int64_t day) const;
  // Whether the customer is shopping around for a better price on `day`.
  bool TalksPrice(int64_t day) const;
  Case MakeCase(int64_t opened, absl::string_view category, bool complaint);

  const World& w_;
  DemoRandom rng_;
  AccountPlan plan_;
  // Record ids run across accounts in generation order.
  int64_t next_contact_ = 1;
  int64_t next_order_ = 1;
  int64_t next_case_ = 1;
  int64_t next_activity_ = 1;
};

void AccountGenerator::Generate(int64_t index, DemoAccountRecords* out) {
  // Each account draws from its own stream: a change to how one kind of
  // record is drawn leaves other accounts' data as it was.
  rng_.Reseed(MixSeed(w_.params.seed, static_cast<uint64_t>(index)));
  out->contacts.clear();
  out->orders.clear();
  out->cases.clear();
  out->activities.clear();
  out->engagement.clear();
  out->feedback.clear();
  Plan(index, out);
  MakeContacts(out);
  MakeOrders(out);
  MakeCases(out);
  MakeActivities(out);
  MakeFeedback(out);
  MakeEngagement(out);
}

void AccountGenerator::Plan(int64_t index, DemoAccountRecords* out) {
  plan_ = AccountPlan();
  AccountPlan& p = plan_;
  Account& a = out->account;
  a = Account();
  a.id = NumberedId("ACC-", index + 1, 6);

  std::vector<double> country_weights;
  for (const auto& c : demo_internal::Countries()) country_weights.push_back(c.weight);
  p.country = demo_internal::Countries()[rng_.PickWeighted(country_weights)].code;
  a.country = p.country;
  a.industry = demo_internal::Industries()[rng_.PickIndex(demo_internal::Industries().size())];
  a.name = demo_internal::CompanyName(rng_, p.country);

  const double tier_draw = rng_.Uniform();
  p.tier =
      tier_draw < kKeyShare ? Tier::kKey : (tier_draw < kKeyShare + kMidShare ? Tier::kMid : Tier::kTail);
  const bool owned =
      p.tier != Tier::kTail || rng_.Bernoulli(kOwnedTailShare) || index == w_.departed_anchor_account;
  if (owned) p.owner = static_cast<int>(rng_.PickIndex(w_.num_sellers));
  if (index == w_.departed_anchor_account) p.owner = w_.departed_seller;

  const double s = rng_.Uniform();
  double edge = 0;
  auto next = [&](double share) { return s < (edge += share); };
  if (next(kFadingShare)) {
    p.scenario = DemoScenario::kFading;
  } else if (next(kStoppedShare)) {
    p.scenario = DemoScenario::kStopped;
  } else if (next(kComplaintsShare)) {
    p.scenario = DemoScenario::kComplaints;
  } else if (next(kKeyContactLeftShare)) {
    p.scenario = DemoScenario::kKeyContactLeft;
  } else if (next(kGrowingShare)) {
    p.scenario = DemoScenario::kGrowing;
  } else if (next(kSeasonalShare)) {
    p.scenario = DemoScenario::kSeasonal;
  } else if (next(kNewShare)) {
    p.scenario = DemoScenario::kNew;
  } else if (owned && next(kContactGapShare / kOwnedShare)) {
    p.scenario = DemoScenario::kContactGap;
  }
  if (p.owner >= 0 && p.owner == w_.departed_seller) p.scenario = DemoScenario::kOwnerLeft;
  // A brand-new customer has not grown into a key account yet.
  if (p.scenario == DemoScenario::kNew && p.tier == Tier::kKey) p.tier = Tier::kMid;

  const int64_t end = w_.end_day;
  if (p.scenario == DemoScenario::kNew) {
    p.created_day = end - rng_.UniformInt(3, 90);
  } else {
    // Most customers predate the history; some joined during it, early
    // enough to have a pattern before any story starts.
    const int64_t latest_join = end - 400;
    if (latest_join > w_.start_day && rng_.Bernoulli(0.25)) {
      p.created_day = rng_.UniformInt(w_.start_day, latest_join);
    } else {
      p.created_day = w_.start_day - rng_.UniformInt(30, 3650);
    }
  }
  p.first_day = std::max(p.created_day, w_.start_day);
  a.created_at = TimeAt(SecondOn(p.created_day, 6, 15));
  a.owner_id = p.owner >= 0 ? w_.users[p.owner].id : "";
  a.do_not_contact = rng_.Bernoulli(0.01);
  if (p.tier == Tier::kKey && rng_.Bernoulli(0.5)) a.crm_tier = Tier::kKey;
  if (p.tier == Tier::kMid && rng_.Bernoulli(0.1)) a.crm_tier = Tier::kMid;

  // Revenue is lognormal within each tier, so a few key accounts hold a large
  // share; cadence runs from weekly (key) to quarterly (tail).
  switch (p.tier) {
    case Tier::kKey:
      p.annual_revenue_eur = rng_.LogNormal(std::log(190000.0), 0.6);
      p.gap_days = rng_.LogUniform(6, 18);
      p.discount = rng_.Uniform(0.08, 0.18);
      break;
    case Tier::kMid:
      p.annual_revenue_eur = rng_.LogNormal(std::log(20000.0), 0.6);
      p.gap_days = rng_.LogUniform(14, 45);
      p.discount = rng_.Uniform(0.03, 0.10);
      break;
    default:
      p.annual_revenue_eur = rng_.LogNormal(std::log(3000.0), 0.7);
      p.gap_days = rng_.LogUniform(28, 95);
      p.discount = rng_.Uniform(0.0, 0.04);
      break;
  }
  const int regular_count = static_cast<int>(p.tier == Tier::kKey   ? rng_.UniformInt(5, 9)
                                             : p.tier == Tier::kMid ? rng_.UniformInt(4, 7)
                                                                    : rng_.UniformInt(2, 5));
  std::vector<double> popularity;
  for (const Product& product : demo_internal::Catalogue()) popularity.push_back(product.popularity);
  for (int i = 0; i < regular_count; ++i) {
    const size_t k = rng_.PickWeighted(popularity);
    popularity[k] = 0;  // without replacement
    p.regulars.push_back(static_cast<int>(k));
  }

  switch (p.scenario) {
    case DemoScenario::kFading:
      p.fade_day = end - rng_.UniformInt(150, 330);
      p.stop_day = p.fade_day + rng_.UniformInt(90, 260);
      break;
    case DemoScenario::kStopped:
      p.fade_day = end - rng_.UniformInt(60, 180);
      p.stop_day = p.fade_day;
      break;
    case DemoScenario::kComplaints:
      p.fade_day = end - rng_.UniformInt(30, 90);
      break;
    case DemoScenario::kContactGap:
      p.fade_day = end - rng_.UniformInt(190, 330);
      p.activity_stop_day = p.fade_day;
      break;
    case DemoScenario::kKeyContactLeft:
      p.fade_day = end - rng_.UniformInt(7, 75);
      break;
    case DemoScenario::kOwnerLeft:
      p.fade_day = w_.departure_day;
      p.activity_stop_day = w_.departure_day;
      break;
    case DemoScenario::kSeasonal:
      p.season_start_month = static_cast<int>(rng_.UniformInt(3, 5));
      p.season_months = static_cast<int>(rng_.UniformInt(4, 6));
      break;
    case DemoScenario::kGrowing:
      p.growth_end = rng_.Uniform(1.6, 2.6);
      break;
    default:
      break;
  }

  DemoAccountTruth& t = out->truth;
  t.account_id = a.id;
  t.scenario = p.scenario;
  t.tier = p.tier;
  t.fade_start.reset();
  if (p.fade_day != kNever) t.fade_start = CivilOf(p.fade_day);
}

void AccountGenerator::MakeContacts(DemoAccountRecords* out) {
  const AccountPlan& p = plan_;
  const std::string domain = demo_internal::EmailDomain(out->account.name);
  int count = static_cast<int>(p.tier == Tier::kKey   ? rng_.UniformInt(3, 6)
                               : p.tier == Tier::kMid ? rng_.UniformInt(2, 4)
                                                      : rng_.UniformInt(1, 2));
  const bool replacement = p.scenario == DemoScenario::kKeyContactLeft && rng_.Bernoulli(0.5);
  if (replacement) ++count;
  const auto& roles = demo_internal::ContactRoles();
  for (int i = 0; i < count; ++i) {
    Contact c;
    c.id = NumberedId("CON-", next_contact_++, 7);
    c.account_id = out->account.id;
    const demo_internal::PersonName person = demo_internal::RandomPerson(rng_, p.country);
    c.name = absl::StrCat(person.first, " ", person.last);
    c.email = absl::StrCat(demo_internal::EmailLocalPart(person), "@", domain);
    const bool buyer = i == 0 || (replacement && i == count - 1);
    if (buyer) {
      c.role = p.country == "FI" && rng_.Bernoulli(0.5) ? roles[1] : roles[0];
    } else {
      c.role = roles[rng_.UniformInt(2, static_cast<int64_t>(roles.size()) - 1)];
    }
    int64_t updated = rng_.UniformInt(p.first_day, w_.end_day);
    if (i == 0 && p.scenario == DemoScenario::kKeyContactLeft) {
      c.active = false;
      updated = p.fade_day;
    } else if (replacement && i == count - 1) {
      updated = rng_.UniformInt(p.fade_day, w_.end_day);
    } else if (i > 0 && rng_.Bernoulli(0.06)) {
      c.active = false;  // left long ago
    }
    c.updated_at = TimeAt(SecondOn(updated, 6, 16));
    out->contacts.push_back(std::move(c));
  }
}

bool AccountGenerator::InSeason(int64_t day) const {
  if (plan_.season_months >= 12) return true;
  const int month = CivilOf(day).month();
  return (month - plan_.season_start_month + 12) % 12 < plan_.season_months;
}

int64_t AccountGenerator::NextSeasonStart(int64_t day) {
  const absl::CivilDay d = CivilOf(day);
  int64_t year = d.year();
  if (d.month() >= plan_.season_start_month) ++year;
  return DayNumber(absl::CivilDay(year, plan_.season_start_month, 1)) + rng_.UniformInt(0, 20);
}

double AccountGenerator::AmountFactor(int64_t day) const {
  const AccountPlan& p = plan_;
  switch (p.scenario) {
    case DemoScenario::kFading:
      if (day < p.fade_day) return 1;
      return std::max(0.2, 1 - 0.18 * MonthsBetween(p.fade_day, day));
    case DemoScenario::kComplaints:
      return day < p.fade_day ? 1 : 0.55;
    case DemoScenario::kGrowing: {
      const double span = std::max<int64_t>(1, w_.end_day - p.first_day);
      return 0.7 + (p.growth_end - 0.7) * (day - p.first_day) / span;
    }
    default:
      return 1;
  }
}

double AccountGenerator::GapFactor(int64_t day) const {
  const AccountPlan& p = plan_;
  switch (p.scenario) {
    case DemoScenario::kFading:
      if (day < p.fade_day) return 1;
      return 1 + 0.6 * MonthsBetween(p.fade_day, day);
    case DemoScenario::kComplaints:
      return day < p.fade_day ? 1 : 1.6;
    case DemoScenario::kGrowing: {
      const double span = std::max<int64_t>(1, w_.end_day - p.first_day);
      return 1.15 - 0.35 * (day - p.first_day) / span;
    }
    case DemoScenario::kSeasonal:
      // The year's business is packed into the season.
      return p.season_months / 12.0;
    default:
      return 1;
  }
}

bool AccountGenerator::TalksPrice(int64_t day) const {
  const AccountPlan& p = plan_;
  if (p.scenario == DemoScenario::kFading) return day >= p.fade_day;
  if (p.scenario == DemoScenario::kStopped) return day >= p.stop_day - 60;
  return false;
}

DraftOrder AccountGenerator::DraftOrderOn(int64_t day, double target_eur) {
  const AccountPlan& p = plan_;
  const auto& catalogue = demo_internal::Catalogue();
  DraftOrder order;
  order.at = SecondOn(day, 6, 16);
  static const std::vector<double> kKeyLineCounts = {20, 25, 25, 15, 15};
  static const std::vector<double> kLineCounts = {35, 30, 20, 10, 5};
  const int lines =
      1 + static_cast<int>(rng_.PickWeighted(p.tier == Tier::kKey ? kKeyLineCounts : kLineCounts));
  std::vector<int> products;
  std::vector<double> weights;
  for (int i = 0; i < lines; ++i) {
    int product = rng_.Bernoulli(0.85) ? p.regulars[rng_.PickIndex(p.regulars.size())]
                                       : static_cast<int>(rng_.PickIndex(catalogue.size()));
    if (std::find(products.begin(), products.end(), product) != products.end()) continue;
    products.push_back(product);
    weights.push_back(rng_.Uniform(0.5, 1.5));
  }
  double total_weight = 0;
  for (double x : weights) total_weight += x;
  for (size_t i = 0; i < products.size(); ++i) {
    const Product& product = catalogue[products[i]];
    const int64_t unit_cents =
        std::max<int64_t>(1, std::llround(product.list_price_cents * (1 - p.discount)));
    const double line_target_cents = target_eur * 100 * weights[i] / total_weight;
    const int64_t quantity = std::max<int64_t>(1, std::llround(line_target_cents / unit_cents));
    order.lines.push_back({products[i], quantity, quantity * unit_cents});
  }
  return order;
}

void AccountGenerator::MakeOrders(DemoAccountRecords* out) {
  const AccountPlan& p = plan_;
  const int64_t end = w_.end_day;
  const double mean_order_eur = p.annual_revenue_eur * p.gap_days / 365.0;
  std::vector<DraftOrder> drafts;

  if (p.scenario == DemoScenario::kNew) {
    const int64_t count = rng_.UniformInt(1, 3);
    int64_t day =
        NextWorkingDay(p.created_day + rng_.UniformInt(0, std::min<int64_t>(10, end - p.created_day)));
    if (day > end) day = p.created_day;  // a weekend end day: order on the day it joined
    for (int64_t i = 0; i < count && day <= end; ++i) {
      drafts.push_back(DraftOrderOn(day, mean_order_eur * rng_.LogNormal(0, 0.35)));
      day = NextWorkingDay(day + rng_.UniformInt(10, 30));
    }
  } else {
    double t = p.first_day + rng_.Uniform(0, p.gap_days * GapFactor(p.first_day));
    while (true) {
      int64_t day = static_cast<int64_t>(t);
      if (!InSeason(day)) {
        day = NextSeasonStart(day);
        t = static_cast<double>(day);
      }
      day = NextWorkingDay(day);
      if (day > end || day > p.stop_day) break;
      drafts.push_back(DraftOrderOn(day, mean_order_eur * AmountFactor(day) * rng_.LogNormal(0, 0.35)));
      // Gamma(6) jitter: mean one, rarely below half or above double.
      t = std::max(t, static_cast<double>(day)) + p.gap_days * GapFactor(day) * rng_.Gamma(6, 1.0 / 6);
    }
  }

  // Now and then a return: a credit note for part of one line.
  const size_t ordinary = drafts.size();
  for (size_t i = 0; i < ordinary; ++i) {
    if (!rng_.Bernoulli(0.01)) continue;
    const int64_t day = NextWorkingDay(drafts[i].at / kSecondsPerDay + rng_.UniformInt(3, 20));
    if (day > end) continue;
    const DraftLine& returned = drafts[i].lines[rng_.PickIndex(drafts[i].lines.size())];
    const int64_t quantity = rng_.UniformInt(1, returned.quantity);
    DraftOrder credit;
    credit.at = SecondOn(day, 6, 16);
    credit.lines.push_back(
        {returned.product, -quantity, -quantity * (returned.amount_cents / returned.quantity)});
    drafts.push_back(std::move(credit));
  }
  std::stable_sort(drafts.begin(), drafts.end(),
                   [](const DraftOrder& x, const DraftOrder& y) { return x.at < y.at; });

  const auto& catalogue = demo_internal::Catalogue();
  for (const DraftOrder& d : drafts) {
    Order o;
    o.id = NumberedId("SO-", next_order_++, 8);
    o.account_id = out->account.id;
    o.ordered_at = TimeAt(d.at);
    o.currency = "EUR";
    o.lines.reserve(d.lines.size());
    int64_t total_cents = 0;
    for (const DraftLine& l : d.lines) {
      OrderLine line;
      line.sku = catalogue[l.product].sku;
      line.product = catalogue[l.product].name;
      line.quantity = static_cast<double>(l.quantity);
      line.amount = l.amount_cents / 100.0;
      total_cents += l.amount_cents;
      o.lines.push_back(std::move(line));
    }
    o.amount = total_cents / 100.0;
    out->orders.push_back(std::move(o));
  }
}

Case AccountGenerator::MakeCase(int64_t opened, absl::string_view category, bool complaint) {
  Case c;
  c.opened_at = TimeAt(opened);
  c.category = std::string(category);
  const auto& subjects = demo_internal::CaseSubjects(category);
  c.subject = subjects[rng_.PickIndex(subjects.size())];
  // First responses come within hours, except for the complaining customer
  // whose cases sit for days; some of those are never resolved.
  const double response_hours =
      complaint ? rng_.Uniform(30, 140) : std::clamp(rng_.LogNormal(std::log(2.5), 0.9), 0.1, 72.0);
  const int64_t response = opened + static_cast<int64_t>(response_hours * 3600);
  const bool resolved = !complaint || rng_.Bernoulli(0.55);
  const int64_t close = complaint
                            ? response + static_cast<int64_t>(rng_.Uniform(3, 20) * kSecondsPerDay)
                            : response + static_cast<int64_t>(rng_.LogNormal(std::log(30.0 * 3600), 1.0));
  if (response <= w_.end_second) c.first_response_at = TimeAt(response);
  const double p = rng_.Uniform();
  if (c.first_response_at.has_value() && resolved && close <= w_.end_second) {
    c.closed_at = TimeAt(close);
    c.status = p < 0.85 ? "closed" : "resolved";
  } else if (!c.first_response_at.has_value()) {
    c.status = "open";
  } else {
    c.status = complaint && p < 0.4 ? "escalated" : "in_progress";
  }
  const double q = rng_.Uniform();
  c.priority = complaint ? (q < 0.6 ? "high" : "normal") : (q < 0.3 ? "low" : (q < 0.85 ? "normal" : "high"));
  return c;
}

void AccountGenerator::MakeCases(DemoAccountRecords* out) {
  const AccountPlan& p = plan_;
  const double per_year = p.tier == Tier::kKey ? 5 : (p.tier == Tier::kMid ? 1.5 : 0.4);
  const int64_t last = std::min(w_.end_day, p.stop_day + 30);
  const auto& categories = demo_internal::CaseCategories();
  std::vector<double> weights = demo_internal::CaseCategoryWeights();
  const std::vector<double> price_weights = {10, 5, 5, 40, 5};  // shopping around
  for (double t = p.first_day + rng_.Exponential(365.0 / per_year);;
       t += rng_.Exponential(365.0 / per_year)) {
    const int64_t day = NextWorkingDay(static_cast<int64_t>(t));
    if (day > last) break;
    const auto& w = TalksPrice(day) ? price_weights : weights;
    out->cases.push_back(MakeCase(SecondOn(day, 5, 16), categories[rng_.PickWeighted(w)], false));
  }
  if (p.scenario == DemoScenario::kComplaints) {
    // The same problem again and again.
    const double c = rng_.Uniform();
    const char* category = c < 0.45 ? "delivery" : (c < 0.85 ? "quality" : "invoicing");
    const int64_t count = rng_.UniformInt(3, 6);
    const int64_t burst_end = std::min(w_.end_day, p.fade_day + 50);
    for (int64_t i = 0; i < count; ++i) {
      const int64_t day = NextWorkingDay(rng_.UniformInt(p.fade_day, burst_end));
      out->cases.push_back(MakeCase(SecondOn(std::min(day, w_.end_day), 5, 16), category, true));
    }
  }
  std::stable_sort(out->cases.begin(), out->cases.end(),
                   [](const Case& x, const Case& y) { return x.opened_at < y.opened_at; });
  for (Case& c : out->cases) {
    c.id = NumberedId("CS-", next_case_++, 7);
    c.account_id = out->account.id;
  }
}

void AccountGenerator::MakeActivities(DemoAccountRecords* out) {
  const AccountPlan& p = plan_;
  const int64_t end = w_.end_day;
  // Drafts first: sorting them is cheaper than sorting finished records.
  struct DraftActivity {
    int64_t at;
    ActivityType type;
    Direction direction;
    const std::string* user;
    absl::string_view subject;  // always a literal
  };
  std::vector<DraftActivity> drafts;
  auto add = [&](int64_t second, ActivityType type, Direction direction, const std::string& user,
                 absl::string_view subject) {
    drafts.push_back({second, type, direction, &user, subject});
  };
  auto pick = [&](const std::vector<const char*>& list) {
    return absl::string_view(list[rng_.PickIndex(list.size())]);
  };

  if (p.owner >= 0) {
    // The owner's own rhythm: regular, with gamma jitter, by tier.
    const std::string& owner = w_.users[p.owner].id;
    const double mean_days = p.tier == Tier::kKey ? 9 : (p.tier == Tier::kMid ? 28 : 70);
    static const std::vector<double> kKeyMix = {35, 20, 35, 10};  // call, meeting, email, note
    static const std::vector<double> kMidMix = {45, 8, 37, 10};
    static const std::vector<double> kTailMix = {50, 2, 38, 10};
    const auto& mix = p.tier == Tier::kKey ? kKeyMix : (p.tier == Tier::kMid ? kMidMix : kTailMix);
    const int64_t last = std::min(end, p.activity_stop_day - 1);
    for (double t = p.first_day + rng_.Uniform(0, mean_days);; t += mean_days * rng_.Gamma(3, 1.0 / 3)) {
      const int64_t day = NextWorkingDay(static_cast<int64_t>(t));
      if (day > last) break;
      const ActivityType type = static_cast<ActivityType>(rng_.PickWeighted(mix));
      Direction direction = Direction::kUnknown;
      absl::string_view subject;
      switch (type) {
        case ActivityType::kCall:
          direction = rng_.Bernoulli(0.8) ? Direction::kOutbound : Direction::kInbound;
          subject = pick(demo_internal::CallSubjects());
          break;
        case ActivityType::kMeeting:
          direction = rng_.Bernoulli(0.9) ? Direction::kOutbound : Direction::kInbound;
          subject = pick(demo_internal::MeetingSubjects());
          break;
        case ActivityType::kEmail:
          direction = rng_.Bernoulli(0.6) ? Direction::kOutbound : Direction::kInbound;
          subject = pick(demo_internal::EmailSubjects());
          break;
        case ActivityType::kNote:
          subject = pick(demo_internal::NoteSubjects());
          break;
      }
      if (type != ActivityType::kNote && TalksPrice(day) && rng_.Bernoulli(0.35)) {
        subject = pick(demo_internal::PriceTalkSubjects());
      }
      add(SecondOn(day, 6, 16), type, direction, owner, subject);
    }
    if (p.scenario == DemoScenario::kKeyContactLeft) {
      add(SecondOn(p.fade_day, 6, 16), ActivityType::kNote, Direction::kUnknown, owner,
          out->contacts.front().role == "Ostopäällikkö" ? "Ostopäällikkö lopettanut, uusi yhteyshenkilö?"
                                                        : "Buyer has left the company");
    }
  }

  // Customers also call and write to customer service, owned or not. An
  // account in a contact gap has gone quiet on both sides.
  const std::string& pool = w_.pool_user_ids[rng_.PickIndex(w_.pool_user_ids.size())];
  const double inbound_mean_days = p.tier == Tier::kTail ? 200 : 120;
  const int64_t inbound_last = std::min(end, p.scenario == DemoScenario::kContactGap ? p.fade_day - 1 : end);
  for (double t = p.first_day + rng_.Exponential(inbound_mean_days);;
       t += rng_.Exponential(inbound_mean_days)) {
    const int64_t day = NextWorkingDay(static_cast<int64_t>(t));
    if (day > inbound_last || day > p.stop_day + 30) break;
    const bool call = rng_.Bernoulli(0.4);
    absl::string_view subject = call ? "Customer called: order status" : "Re: tilaus / order question";
    if (TalksPrice(day) && rng_.Bernoulli(0.5)) subject = pick(demo_internal::PriceTalkSubjects());
    add(SecondOn(day, 6, 16), call ? ActivityType::kCall : ActivityType::kEmail, Direction::kInbound, pool,
        subject);
  }
  if (p.scenario == DemoScenario::kComplaints) {
    const int64_t calls = rng_.UniformInt(1, 2);
    const std::string& who = p.owner >= 0 ? w_.users[p.owner].id : pool;
    for (int64_t i = 0; i < calls; ++i) {
      const int64_t day = NextWorkingDay(rng_.UniformInt(p.fade_day, end));
      add(SecondOn(std::min(day, end), 6, 16), ActivityType::kCall, Direction::kInbound, who,
          "Reklamaatio: asiakas tyytymätön / complaint escalated");
    }
  }
  std::stable_sort(drafts.begin(), drafts.end(),
                   [](const DraftActivity& x, const DraftActivity& y) { return x.at < y.at; });
  out->activities.reserve(drafts.size());
  for (const DraftActivity& d : drafts) {
    Activity a;
    a.id = NumberedId("ACT-", next_activity_++, 8);
    a.account_id = out->account.id;
    a.type = d.type;
    a.direction = d.direction;
    a.occurred_at = TimeAt(d.at);
    a.user_id = *d.user;
    a.subject = std::string(d.subject);
    out->activities.push_back(std::move(a));
  }
}

void AccountGenerator::MakeFeedback(DemoAccountRecords* out) {
  const AccountPlan& p = plan_;
  auto add = [&](int64_t second, double score, FeedbackScale scale, bool unhappy) {
    Feedback f;
    f.account_id = out->account.id;
    f.received_at = TimeAt(second);
    f.score = score;
    f.scale = scale;
    const auto& comments = unhappy ? demo_internal::NegativeComments() : demo_internal::PositiveComments();
    f.comment = rng_.Bernoulli(0.5) ? comments[rng_.PickIndex(comments.size())] : "";
    out->feedback.push_back(std::move(f));
  };
  auto soured = [&](int64_t day) {
    return (p.scenario == DemoScenario::kFading || p.scenario == DemoScenario::kStopped ||
            p.scenario == DemoScenario::kComplaints) &&
           day >= p.fade_day - 30;
  };
  // The yearly NPS survey in late October.
  const double answers = p.tier == Tier::kKey ? 0.7 : (p.tier == Tier::kMid ? 0.4 : 0.2);
  for (int year = CivilOf(w_.start_day).year(); year <= CivilOf(w_.end_day).year(); ++year) {
    const int64_t day = NextWorkingDay(DayNumber(absl::CivilDay(year, 10, 15)) + rng_.UniformInt(0, 14));
    const bool answered = rng_.Bernoulli(answers);
    if (!answered || day < p.first_day || day > w_.end_day || day > p.stop_day) continue;
    const bool bad = soured(day);
    const double score = std::clamp(std::round(rng_.Normal(bad ? 4.5 : 8.3, bad ? 2.0 : 1.4)), 0.0, 10.0);
    add(SecondOn(day, 6, 18), score, FeedbackScale::kNps, score <= 6);
  }
  // CSAT after some closed cases.
  for (const Case& c : out->cases) {
    if (!c.closed_at.has_value() || !rng_.Bernoulli(0.25)) continue;
    const int64_t second = absl::ToUnixSeconds(*c.closed_at) + rng_.UniformInt(3600, 3 * kSecondsPerDay);
    if (second > w_.end_second) continue;
    const bool complaint =
        p.scenario == DemoScenario::kComplaints && c.opened_at >= TimeAt(p.fade_day * kSecondsPerDay);
    const double score =
        std::clamp(std::round(rng_.Normal(complaint ? 1.8 : 4.3, complaint ? 0.7 : 0.8)), 1.0, 5.0);
    add(second, score, FeedbackScale::kCsat, score <= 2);
  }
  std::stable_sort(out->feedback.begin(), out->feedback.end(),
                   [](const Feedback& x, const Feedback& y) { return x.received_at < y.received_at; });
  for (Feedback& f : out->feedback) {
    f.id = absl::StrCat(f.account_id, "|");
    demo_internal::AppendIsoTime(absl::ToUnixSeconds(f.received_at), &f.id);
  }
}

void AccountGenerator::MakeEngagement(DemoAccountRecords* out) {
  const AccountPlan& p = plan_;
  const double subscribed = p.tier == Tier::kKey ? 0.9 : (p.tier == Tier::kMid ? 0.75 : 0.5);
  if (!rng_.Bernoulli(subscribed)) return;
  const int64_t recipients =
      std::min<int64_t>(rng_.UniformInt(1, 3), static_cast<int64_t>(out->contacts.size()));
  const double open_rate = rng_.Uniform(0.2, 0.55);
  const double click_rate = rng_.Uniform(0.1, 0.35);
  // Some customers who stopped buying also unsubscribe.
  const int64_t unsubscribed = p.scenario == DemoScenario::kStopped && rng_.Bernoulli(0.5)
                                   ? p.stop_day + rng_.UniformInt(0, 45)
                                   : kNever;
  // Two newsletters a month, on the 6th and the 20th.
  static const int kSendDays[] = {6, 20};
  for (absl::CivilMonth m(CivilOf(p.first_day)); m <= absl::CivilMonth(CivilOf(w_.end_day)); ++m) {
    int64_t sends = 0;
    int64_t last_send = 0;
    for (int d : kSendDays) {
      const int64_t day = DayNumber(absl::CivilDay(m.year(), m.month(), d));
      if (day >= p.first_day && day <= w_.end_day && day < unsubscribed) {
        ++sends;
        last_send = day;
      }
    }
    if (sends == 0) continue;
    double open = open_rate;
    double click = click_rate;
    if (p.scenario == DemoScenario::kFading && last_send >= p.fade_day) {
      open *= std::max(0.15, 1 - 0.25 * MonthsBetween(p.fade_day, last_send));
      click *= 0.5;
    } else if (p.scenario == DemoScenario::kStopped && last_send >= p.stop_day - 60) {
      open *= 0.3;
      click *= 0.4;
    } else if (p.scenario == DemoScenario::kComplaints && last_send >= p.fade_day) {
      open *= 0.7;
    }
    EngagementPeriod e;
    e.account_id = out->account.id;
    e.period_start = absl::CivilDay(m);
    e.id = absl::StrCat(e.account_id, "|");
    demo_internal::AppendIsoDay(DayNumber(e.period_start), &e.id);
    e.sent = sends * recipients;
    e.opened = rng_.Binomial(e.sent, open);
    e.clicked = rng_.Binomial(e.opened, click);
    out->engagement.push_back(std::move(e));
  }
}

// Keeps everything, for GenerateDemoData.
class InMemorySink : public DemoRecordSink {
 public:
  InMemorySink(CustomerData* data, DemoTruth* truth) : data_(data), truth_(truth) {}

  absl::Status AddUsers(const std::vector<User>& users, const std::vector<std::string>& pool_user_ids,
                        const std::string& departed_user_id) override {
    data_->users = users;
    if (truth_ != nullptr) {
      truth_->pool_user_ids = pool_user_ids;
      truth_->departed_user_id = departed_user_id;
    }
    return absl::OkStatus();
  }

  absl::Status AddAccount(DemoAccountRecords* records) override {
    DemoAccountRecords& r = *records;
    data_->accounts.push_back(std::move(r.account));
    auto move_all = [](auto& from, auto& to) {
      to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
    };
    move_all(r.contacts, data_->contacts);
    move_all(r.orders, data_->orders);
    move_all(r.cases, data_->cases);
    move_all(r.activities, data_->activities);
    move_all(r.engagement, data_->engagement);
    move_all(r.feedback, data_->feedback);
    if (truth_ != nullptr) truth_->accounts.push_back(r.truth);
    return absl::OkStatus();
  }

 private:
  CustomerData* data_;
  DemoTruth* truth_;
};

}  // namespace

absl::string_view DemoScenarioName(DemoScenario scenario) {
  switch (scenario) {
    case DemoScenario::kSteady:
      return "steady";
    case DemoScenario::kFading:
      return "fading";
    case DemoScenario::kStopped:
      return "stopped";
    case DemoScenario::kComplaints:
      return "complaints";
    case DemoScenario::kContactGap:
      return "contact_gap";
    case DemoScenario::kKeyContactLeft:
      return "key_contact_left";
    case DemoScenario::kGrowing:
      return "growing";
    case DemoScenario::kSeasonal:
      return "seasonal";
    case DemoScenario::kNew:
      return "new";
    case DemoScenario::kOwnerLeft:
      return "owner_left";
  }
  return "steady";
}

std::optional<DemoScenario> ParseDemoScenario(absl::string_view name) {
  for (int i = 0; i <= static_cast<int>(DemoScenario::kOwnerLeft); ++i) {
    const auto scenario = static_cast<DemoScenario>(i);
    if (DemoScenarioName(scenario) == name) return scenario;
  }
  return std::nullopt;
}

absl::Status StreamDemoData(const DemoParams& params, DemoRecordSink* sink) {
  if (absl::Status s = ValidateDemoParams(params); !s.ok()) return s;
  const World world = MakeWorld(params);
  if (absl::Status s =
          sink->AddUsers(world.users, world.pool_user_ids, world.users[world.departed_seller].id);
      !s.ok()) {
    return s;
  }
  AccountGenerator generator(world);
  DemoAccountRecords records;
  for (int64_t i = 0; i < params.accounts; ++i) {
    generator.Generate(i, &records);
    if (absl::Status s = sink->AddAccount(&records); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<CustomerData> GenerateDemoData(const DemoParams& params, DemoTruth* truth) {
  CustomerData data;
  if (truth != nullptr) *truth = DemoTruth();
  InMemorySink sink(&data, truth);
  if (absl::Status s = StreamDemoData(params, &sink); !s.ok()) return s;
  return data;
}

}  // namespace pulse

#include "sidecar/engine/task_text.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sidecar/common/time_util.h"
#include "sidecar/engine/scorer.h"

namespace pulse {
namespace {

bool Finnish(const std::string& language) { return language == "fi"; }

std::string WhatToDo(ActionKind action, bool fi) {
  switch (action) {
    case ActionKind::kWinBack:
      return fi ? "Soita pian: kysy, miksi tilaukset loppuivat, ja tarjoa apua ennen kuin asiakas vaihtaa toimittajaa."
                : "Call soon: ask why orders stopped and offer help before they settle with another supplier.";
    case ActionKind::kServiceRecovery:
      return fi ? "Soita ja pahoittele: käy avoimet reklamaatiot läpi, sovi korjaus ja kerro, kuka vastaa."
                : "Call and apologise: go through the open cases, agree a fix and who owns it.";
    case ActionKind::kCheckIn:
      return fi ? "Soita kuulumisten perään: miten yhteistyö sujuu, mitä tarpeita on tulossa."
                : "Call to check in: how is it going, what needs are coming up.";
    case ActionKind::kReorderReminder:
      return fi ? "Lähetä henkilökohtainen muistutus alla olevista tuotteista (ei massapostia)."
                : "Send a personal reminder about the products below (not a mass mail).";
    case ActionKind::kHealthCheck:
      return fi ? "Sovi vuosittainen asiakkuuskatsaus." : "Book the yearly relationship health check.";
    case ActionKind::kOnboarding:
      return fi ? "Soita uudelle asiakkaalle: varmista, että alku sujuu." : "Call the new customer: make sure the start goes well.";
    case ActionKind::kGrowth:
      return fi ? "Soita kasvumahdollisuudesta." : "Call about the growth opportunity.";
    case ActionKind::kHandoverIntro:
      return fi ? "Esittäydy uutena yhteyshenkilönä." : "Introduce yourself as the new owner.";
    case ActionKind::kNone:
      break;
  }
  return "";
}

}  // namespace

std::string ActionTitle(ActionKind action, const std::string& language) {
  const bool fi = Finnish(language);
  switch (action) {
    case ActionKind::kWinBack: return fi ? "Palautuspuhelu" : "Win-back call";
    case ActionKind::kServiceRecovery: return fi ? "Palvelun korjauspuhelu" : "Service recovery call";
    case ActionKind::kCheckIn: return fi ? "Kuulumispuhelu" : "Check-in call";
    case ActionKind::kReorderReminder: return fi ? "Tilausmuistutus" : "Reorder reminder";
    case ActionKind::kHealthCheck: return fi ? "Asiakkuuskatsaus" : "Relationship health check";
    case ActionKind::kOnboarding: return fi ? "Aloituspuhelu" : "Onboarding call";
    case ActionKind::kGrowth: return fi ? "Kasvupuhelu" : "Growth call";
    case ActionKind::kHandoverIntro: return fi ? "Esittäytymispuhelu" : "Handover intro call";
    case ActionKind::kNone: break;
  }
  return fi ? "Tehtävä" : "Task";
}

TaskType TaskTypeFor(ActionKind action) {
  switch (action) {
    case ActionKind::kHealthCheck: return TaskType::kMeeting;
    case ActionKind::kReorderReminder: return TaskType::kEmailDraft;
    default: return TaskType::kCall;
  }
}

std::string TaskSubject(const AccountAssessment& a, ActionKind action, const std::string& language) {
  return absl::StrCat(ActionTitle(action, language), ": ", a.name.empty() ? a.account_id : a.name);
}

std::string TaskDescription(const AccountAssessment& a, ActionKind action, absl::CivilDay as_of,
                            const std::string& key, const std::string& language) {
  const bool fi = Finnish(language);
  std::string out;
  absl::StrAppend(&out, fi ? "Miksi (Pulse, " : "Why (Pulse, ", FormatIsoDay(as_of), "; ",
                  fi ? "poistumariski " : "churn risk ", absl::StrFormat("%.0f %%", 100 * a.churn_probability), ", ",
                  fi ? "vuosiarvo " : "annual value ", FormatMoney(a.annual_value, ""), "):\n");
  for (const Signal& s : a.signals) absl::StrAppend(&out, "- ", s.evidence, "\n");
  if (!a.overdue_products.empty()) {
    absl::StrAppend(&out, fi ? "Säännöllisesti tilatut, nyt tilaamatta:\n" : "Ordered regularly, not reordered:\n");
    for (const OverdueProduct& p : a.overdue_products) {
      absl::StrAppend(&out, "- ", p.sku, p.sku.empty() || p.product.empty() ? "" : " ", p.product, ": ",
                      absl::StrFormat(fi ? "tilattu %d kertaa, yleensä %.0f päivän välein; viimeksi %d päivää sitten"
                                         : "ordered %d times, usually every %.0f days; last %d days ago",
                                      p.times_ordered, p.usual_interval_days, p.days_since_last),
                      "\n");
    }
  }
  absl::StrAppend(&out, fi ? "Tee näin: " : "What to do: ", WhatToDo(action, fi), "\n");
  absl::StrAppend(&out, "Pulse task key: ", key);
  return out;
}

}  // namespace pulse

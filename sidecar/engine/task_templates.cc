#include "sidecar/engine/task_templates.h"

#include "absl/strings/str_replace.h"

namespace pulse {

const TaskTemplates& DefaultTaskTemplates() {
  static const TaskTemplates* const kDefaults = [] {
    auto* t = new TaskTemplates;
    auto& en = t->by_language["en"];
    auto& fi = t->by_language["fi"];
    const std::string subject = "{action}: {account}";
    en["win_back"] = {"Win-back call", subject,
                      "Call soon: ask why orders stopped and offer help before they settle with another supplier."};
    fi["win_back"] = {"Palautuspuhelu", subject,
                      "Soita pian: kysy, miksi tilaukset loppuivat, ja tarjoa apua ennen kuin asiakas vaihtaa "
                      "toimittajaa."};
    en["service_recovery"] = {"Service recovery call", subject,
                              "Call and apologise: go through the open cases, agree a fix and who owns it."};
    fi["service_recovery"] = {"Palvelun korjauspuhelu", subject,
                              "Soita ja pahoittele: käy avoimet reklamaatiot läpi, sovi korjaus ja kerro, kuka "
                              "vastaa."};
    en["check_in"] = {"Check-in call", subject, "Call to check in: how is it going, what needs are coming up."};
    fi["check_in"] = {"Kuulumispuhelu", subject,
                      "Soita kuulumisten perään: miten yhteistyö sujuu, mitä tarpeita on tulossa."};
    en["reorder_reminder"] = {"Reorder reminder", subject,
                              "Send a personal reminder about the products below (not a mass mail)."};
    fi["reorder_reminder"] = {"Tilausmuistutus", subject,
                              "Lähetä henkilökohtainen muistutus alla olevista tuotteista (ei massapostia)."};
    en["health_check"] = {"Relationship health check", subject,
                          "Book the yearly relationship health check, and a week before it send the two-question "
                          "survey (how likely they are to recommend us, 0-10, and what we should do better) so the "
                          "answers can be discussed in the meeting."};
    fi["health_check"] = {"Asiakkuuskatsaus", subject,
                          "Sovi vuosittainen asiakkuuskatsaus ja lähetä viikkoa ennen sitä kahden kysymyksen kysely "
                          "(kuinka todennäköisesti he suosittelisivat meitä, 0-10, ja mitä voisimme tehdä paremmin), "
                          "jotta vastauksista voidaan puhua tapaamisessa."};
    en["onboarding"] = {"Onboarding call", subject, "Call the new customer: make sure the start goes well."};
    fi["onboarding"] = {"Aloituspuhelu", subject, "Soita uudelle asiakkaalle: varmista, että alku sujuu."};
    en["growth"] = {"Growth call", subject, "Call about the growth opportunity."};
    fi["growth"] = {"Kasvupuhelu", subject, "Soita kasvumahdollisuudesta."};
    en["handover_intro"] = {"Handover intro call", subject, "Introduce yourself as the new owner."};
    fi["handover_intro"] = {"Esittäytymispuhelu", subject, "Esittäydy uutena yhteyshenkilönä."};
    en["feedback_request"] = {"Feedback request", subject,
                              "Send a short personal survey invitation with two questions: how likely they are to "
                              "recommend us (0-10), and what we should do better. Record the answer in the CRM."};
    fi["feedback_request"] = {"Palautepyyntö", subject,
                              "Lähetä lyhyt henkilökohtainen kyselykutsu, jossa on kaksi kysymystä: kuinka "
                              "todennäköisesti he suosittelisivat meitä (0-10) ja mitä voisimme tehdä paremmin. "
                              "Kirjaa vastaus CRM:ään."};
    en["recognition"] = {"Thank-you call", subject,
                         "Not a risk task: call to thank them for their long and steady custom (an anniversary is a "
                         "good moment), and offer early access to the next offer if there is one."};
    fi["recognition"] = {"Kiitospuhelu", subject,
                         "Ei riskitehtävä: soita ja kiitä pitkästä ja tasaisesta asiakkuudesta (vuosipäivä on hyvä "
                         "hetki), ja tarjoa ennakkotietoa seuraavasta tarjouksesta, jos sellainen on."};
    return t;
  }();
  return *kDefaults;
}

const ActionTemplate& TaskTemplates::Get(const std::string& language, const std::string& action_id) const {
  for (const std::string& lang : {language, std::string("en")}) {
    auto l = by_language.find(lang);
    if (l == by_language.end()) continue;
    auto a = l->second.find(action_id);
    if (a != l->second.end()) return a->second;
  }
  static const ActionTemplate kEmpty{"Task", "{action}: {account}", ""};
  return kEmpty;
}

bool IsTemplateLanguage(const std::string& language) { return language == "en" || language == "fi"; }

bool IsSubjectPlaceholder(const std::string& name) {
  return name == "account" || name == "account_id" || name == "action";
}

std::string FillSubject(const std::string& subject, const std::string& account_name, const std::string& account_id,
                        const std::string& action_title) {
  return absl::StrReplaceAll(subject, {{"{account}", account_name.empty() ? account_id : account_name},
                                       {"{account_id}", account_id},
                                       {"{action}", action_title}});
}

}  // namespace pulse

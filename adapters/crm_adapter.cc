#include "adapters/crm_adapter.h"

#include "absl/strings/str_cat.h"

namespace pulse {

const char* EntityName(Entity e) {
  switch (e) {
    case Entity::kUsers: return "users";
    case Entity::kAccounts: return "accounts";
    case Entity::kContacts: return "contacts";
    case Entity::kOrders: return "orders";
    case Entity::kCases: return "cases";
    case Entity::kActivities: return "activities";
    case Entity::kEngagement: return "engagement";
    case Entity::kFeedback: return "feedback";
  }
  return "unknown";
}

std::string RejectedRecord::ToString() const {
  if (line > 0) return absl::StrCat(source, ":", line, ": ", reason);
  return absl::StrCat(source, ": ", reason);
}

bool Capabilities::Has(Entity e) const {
  switch (e) {
    case Entity::kUsers: return users;
    case Entity::kAccounts: return accounts;
    case Entity::kContacts: return contacts;
    case Entity::kOrders: return orders;
    case Entity::kCases: return cases;
    case Entity::kActivities: return activities;
    case Entity::kEngagement: return engagement;
    case Entity::kFeedback: return feedback;
  }
  return false;
}

}  // namespace pulse

#include "sidecar/cli/handoff_commands.h"

#include <cstdlib>
#include <iostream>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "sidecar/cli/args.h"
#include "sidecar/cli/render.h"

namespace pulse {

const char kHandoffUsage[] = R"(  handoff list [--all]                        departed owners who still own accounts, and the stored plans
  handoff plan --from USER [--to U1,U2,...] [--effective YYYY-MM-DD]
                                               plan who takes the accounts of USER, and store the plan
  handoff show PLAN_ID [--briefs]              a plan: loads before/after, each account and why, delivery
  handoff move PLAN_ID ACCOUNT --to USER       give one account of a plan to another recipient
  handoff discard PLAN_ID                      drop a plan that was not applied
  handoff apply PLAN_ID [--dry-run]            change the owners in the CRM and write the intro tasks
  handoff revert PLAN_ID                       give an applied plan's accounts back
  (handoff commands take --by NAME for the audit log, default $PULSE_USER or $USER; a server with
   auth records the name of your token instead)
)";

namespace {

int Usage(const std::string& error) {
  std::cerr << "pulsectl handoff: " << error << "\n\nUsage:\n" << kHandoffUsage;
  return 2;
}

int RpcFailed(const grpc::Status& status, const std::string& server) {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    std::cerr << "pulsectl: cannot reach pulsed at " << server << ": " << status.error_message() << "\n";
    return 3;
  }
  std::cerr << "pulsectl: " << status.error_message() << "\n";
  return 1;
}

std::string Requester(const Args& args) {
  if (auto by = args.Get("by")) return *by;
  for (const char* var : {"PULSE_USER", "USER"}) {
    if (const char* v = std::getenv(var); v != nullptr && *v != '\0') return v;
  }
  return "";
}

std::string Day(const google::protobuf::Timestamp& t) {
  return google::protobuf::util::TimeUtil::ToString(t).substr(0, 16);
}

int PrintPlan(const grpc::Status& status, const pulse::v1::HandoffPlan& plan, bool json, const std::string& server) {
  if (!status.ok()) return RpcFailed(status, server);
  std::cout << (json ? ToJson(plan) : RenderHandoffPlan(plan));
  return 0;
}

}  // namespace

std::string RenderHandoffs(const pulse::v1::ListHandoffsResponse& list) {
  std::string out = absl::StrCat("Pending handoffs (sweep ", list.sweep_id(), ", as of ", list.as_of(), "):\n");
  if (list.pending().empty()) absl::StrAppend(&out, "  none: no inactive user owns accounts\n");
  for (const auto& p : list.pending()) {
    std::string plans;
    for (int64_t id : p.open_plan_ids()) absl::StrAppend(&plans, plans.empty() ? "" : ", ", id);
    absl::StrAppend(&out, absl::StrFormat("  %-10s %-28s %4d accounts (%d key), annual value %.0f%s\n", p.user_id(),
                                          p.name(), p.accounts(), p.key_accounts(), p.annual_value(),
                                          plans.empty() ? "  -> pulsectl handoff plan --from " + p.user_id()
                                                        : "  plans: " + plans));
  }
  absl::StrAppend(&out, "Plans:\n");
  if (list.plans().empty()) absl::StrAppend(&out, "  none\n");
  for (const auto& p : list.plans()) {
    absl::StrAppend(&out, absl::StrFormat("  %4d  from %-10s %-10s effective %s  by %s at %s\n", p.plan_id(),
                                          p.from_user_id(), p.status(), p.effective_date(), p.requested_by(),
                                          Day(p.created_at())));
  }
  return out;
}

std::string RenderHandoffPlan(const pulse::v1::HandoffPlan& p) {
  std::string out = absl::StrCat("Handoff plan ", p.plan_id(), ": ", p.assignments_size(), " accounts of ",
                                 p.from_user_id(), p.from_user_name().empty() ? "" : " (" + p.from_user_name() + ")",
                                 ", ", p.status(), ", effective ", p.effective_date(), "\n");
  absl::StrAppend(&out, absl::StrFormat("Load per weekly task after: mean %.2f, max %.2f (%+.0f %%)\n",
                                        p.mean_relative_load(), p.max_relative_load(),
                                        p.mean_relative_load() > 0
                                            ? 100 * (p.max_relative_load() / p.mean_relative_load() - 1)
                                            : 0.0));
  absl::StrAppend(&out, absl::StrFormat("\n%-10s %-26s %4s %3s %13s %17s %15s %9s %13s\n", "recipient", "name", "cap",
                                        "key", "accounts", "annual value", "load", "capacity", "per task"));
  for (const auto& l : p.loads()) {
    absl::StrAppend(
        &out, absl::StrFormat("%-10s %-26s %4d %3s %5d -> %-5d %8s -> %-8s %6.1f -> %-6.1f %9.1f %5.2f -> %.2f\n",
                              l.user_id(), l.name().substr(0, 26), l.weekly_capacity(),
                              l.key_account_holder() ? "yes" : "", l.accounts_before(), l.accounts_after(),
                              absl::StrFormat("%.0fk", l.annual_value_before() / 1000),
                              absl::StrFormat("%.0fk", l.annual_value_after() / 1000), l.load_before(),
                              l.load_after(), l.capacity(), l.relative_load_before(), l.relative_load_after()));
  }
  absl::StrAppend(&out, absl::StrFormat("\n%-12s %-30s %-4s %10s %5s %6s  %-10s %s\n", "account", "name", "tier",
                                        "value", "risk", "weight", "to", "why"));
  for (const auto& a : p.assignments()) {
    absl::StrAppend(&out, absl::StrFormat("%-12s %-30s %-4s %10.0f %4.0f%% %6.2f  %-10s %s\n", a.account_id(),
                                          a.account_name().substr(0, 30), TierLabel(a.tier()), a.annual_value(),
                                          100 * a.churn_probability(), a.weight(),
                                          a.to_user_id().empty() ? "-" : a.to_user_id(), a.reason()));
    if (!a.owner_change_status().empty() || !a.intro_task_status().empty()) {
      absl::StrAppend(&out, "             owner change: ", a.owner_change_status().empty() ? "-" : a.owner_change_status(),
                      ", intro task ", a.intro_task_key(), ": ",
                      a.intro_task_status().empty() ? "-" : a.intro_task_status(),
                      a.last_error().empty() ? "" : "  (" + a.last_error() + ")", "\n");
    }
    if (!a.brief().empty()) absl::StrAppend(&out, "\n", a.brief(), "\n\n");
  }
  if (p.unassigned() > 0) {
    absl::StrAppend(&out, "\n", p.unassigned(), " accounts have no recipient: pulsectl handoff move ", p.plan_id(),
                    " ACCOUNT --to USER\n");
  }
  if (p.owner_changes_delivered() + p.intro_tasks_delivered() + p.pending() > 0) {
    absl::StrAppend(&out, "\nThis call: ", p.owner_changes_delivered(), " owner changes and ",
                    p.intro_tasks_delivered(), " intro tasks written; ", p.pending(), " pending\n");
  }
  for (const auto& m : p.messages()) absl::StrAppend(&out, "  ", m, "\n");
  if (!p.audit().empty()) absl::StrAppend(&out, "\nAudit log:\n");
  for (const auto& e : p.audit()) {
    absl::StrAppend(&out, "  ", Day(e.at()), "  ", e.requested_by(), "  ", e.action(),
                    e.detail().empty() ? "" : ": " + e.detail(), "\n");
  }
  return out;
}

int RunHandoffCommand(pulse::v1::RetentionService::Stub& stub, const std::vector<std::string>& argv, bool json,
                      const std::string& server, const std::string& authorization) {
  if (argv.empty()) return Usage("a handoff command is required");
  const std::string command = argv[0];
  const std::vector<std::string> rest(argv.begin() + 1, argv.end());
  std::set<std::string> valued = {"by"};
  std::set<std::string> flags;
  size_t positional = 1;  // PLAN_ID
  if (command == "list") {
    flags = {"all"};
    positional = 0;
  } else if (command == "plan") {
    valued.insert({"from", "to", "effective"});
    positional = 0;
  } else if (command == "show") {
    flags = {"briefs"};
  } else if (command == "move") {
    valued.insert("to");
    positional = 2;
  } else if (command == "apply") {
    flags = {"dry-run"};
  } else if (command != "discard" && command != "revert") {
    return Usage("unknown handoff command '" + command + "'");
  }
  absl::StatusOr<Args> args = Args::Parse(rest, valued, flags);
  if (!args.ok()) return Usage(std::string(args.status().message()));
  if (args->positional().size() != positional) {
    return Usage(absl::StrCat("handoff ", command, " takes ", positional == 0 ? "no" : absl::StrCat(positional),
                              positional == 2 ? " arguments (PLAN_ID ACCOUNT)" : positional == 1 ? " argument (PLAN_ID)" : " arguments"));
  }
  int64_t plan_id = 0;
  if (positional > 0 && !absl::SimpleAtoi(args->positional()[0], &plan_id)) {
    return Usage("PLAN_ID must be a number, got '" + args->positional()[0] + "'");
  }
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(command == "apply" || command == "revert" ? 600 : 60)));
  if (!authorization.empty()) context.AddMetadata("authorization", authorization);
  const std::string by = Requester(*args);
  pulse::v1::HandoffPlan plan;
  if (command == "list") {
    pulse::v1::ListHandoffsRequest request;
    request.set_include_closed(args->Has("all"));
    pulse::v1::ListHandoffsResponse response;
    grpc::Status status = stub.ListHandoffs(&context, request, &response);
    if (!status.ok()) return RpcFailed(status, server);
    std::cout << (json ? ToJson(response) : RenderHandoffs(response));
    return 0;
  }
  if (command == "plan") {
    pulse::v1::PlanHandoffRequest request;
    auto from = args->Get("from");
    if (!from.has_value()) return Usage("handoff plan needs --from USER");
    request.set_from_user_id(*from);
    if (auto to = args->Get("to")) {
      for (absl::string_view id : absl::StrSplit(*to, ',', absl::SkipEmpty())) request.add_to_user_ids(std::string(id));
    }
    request.set_effective_date(args->Get("effective").value_or(""));
    request.set_requested_by(by);
    return PrintPlan(stub.PlanHandoff(&context, request, &plan), plan, json, server);
  }
  if (command == "show") {
    pulse::v1::GetHandoffPlanRequest request;
    request.set_plan_id(plan_id);
    request.set_include_briefs(args->Has("briefs"));
    return PrintPlan(stub.GetHandoffPlan(&context, request, &plan), plan, json, server);
  }
  if (command == "move") {
    auto to = args->Get("to");
    if (!to.has_value()) return Usage("handoff move needs --to USER");
    pulse::v1::MoveHandoffAccountRequest request;
    request.set_plan_id(plan_id);
    request.set_account_id(args->positional()[1]);
    request.set_to_user_id(*to);
    request.set_requested_by(by);
    return PrintPlan(stub.MoveHandoffAccount(&context, request, &plan), plan, json, server);
  }
  if (command == "discard") {
    pulse::v1::DiscardHandoffPlanRequest request;
    request.set_plan_id(plan_id);
    request.set_requested_by(by);
    return PrintPlan(stub.DiscardHandoffPlan(&context, request, &plan), plan, json, server);
  }
  if (command == "apply") {
    pulse::v1::ApplyHandoffRequest request;
    request.set_plan_id(plan_id);
    request.set_dry_run(args->Has("dry-run"));
    request.set_requested_by(by);
    return PrintPlan(stub.ApplyHandoff(&context, request, &plan), plan, json, server);
  }
  pulse::v1::RevertHandoffRequest request;
  request.set_plan_id(plan_id);
  request.set_requested_by(by);
  return PrintPlan(stub.RevertHandoff(&context, request, &plan), plan, json, server);
}

}  // namespace pulse

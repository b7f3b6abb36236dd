"""Turns scale_bench's JSON lines into the Markdown sections of docs/BENCHMARKS.md.

Usage: python3 bench/scale_tables.py FILE.jsonl
"""
import json
import sys


def main(path):
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    out = []
    sweeps = [r for r in rows if r["bench"] == "sweep"]
    if sweeps:
        out += [
            "## Scoring and planning at scale (`scale_bench sweep`)",
            "",
            "The demo generator's accounts with their whole history in memory (`CustomerData`), scored as of",
            "2026-06-30 (histories, cadence, the learned churn model trained on replayed cuts, signals, tiers) and",
            "planned (the ranked, capacity-bound queue). Target at 1,000,000 accounts: scoring + planning under",
            "5 s, peak memory under 3 GiB. `data` is the resident memory with the records loaded, before scoring.",
            "",
            "| accounts | orders | cases | activities | score (s) | plan (s) | score+plan (s) | per 1k accounts (ms) "
            "| data (MiB) | peak (MiB) |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in sweeps:
            total = r["score_seconds"] + r["plan_seconds"]
            out.append(
                f"| {r['accounts']:,} | {r['orders']:,} | {r['cases']:,} | {r['activities']:,} "
                f"| {r['score_seconds']:.2f} | {r['plan_seconds']:.2f} | {total:.2f} "
                f"| {total * 1e6 / r['accounts']:.2f} | {r['data_mib']:,.0f} | {r['peak_rss_mib']:,.0f} |"
            )
        out.append("")
    fits = [r for r in rows if r["bench"] == "fit"]
    if fits:
        out += [
            "## Cadence model fits (`scale_bench fit`)",
            "",
            "Distinct customers simulated from CDNOW's published parameters (BG/NBD r 0.2426, α 4.4136, a 0.7929,",
            "b 2.4259; Pareto/NBD r 0.5533, α 10.578, s 0.6062, β 11.67; T spread over 27–39 weeks), then fitted by",
            "maximum likelihood. Targets at 1,000,000: BG/NBD under 1 s (lifetimes: 16.9 s), Pareto/NBD under",
            "10 s (lifetimes: 272 s).",
            "",
            "| model | customers | fit (s) | iterations | converged | estimates | peak (MiB) |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in fits:
            if r["model"] == "bgnbd":
                est = f"r {r['r']}, α {r['alpha']}, a {r['a']}, b {r['b']}"
            else:
                est = f"r {r['r']}, α {r['alpha']}, s {r['s']}, β {r['beta']}"
            out.append(
                f"| {r['model']} | {r['customers']:,} | {r['seconds']:.3f} | {r['iterations']} "
                f"| {'yes' if r['converged'] else 'no'} | {est} | {r['peak_rss_mib']:,.0f} |"
            )
        out.append("")
    inc = [r for r in rows if r["bench"] == "incremental"]
    if inc:
        out += [
            "## Incremental sweeps (`scale_bench incremental`)",
            "",
            "A whole sweep as `pulsed serve` runs it on the demo CRM (CSV folder): the first into an empty store",
            "(sync everything, score, coverage with its four replayed trend points, plan, write every task with",
            "an fsync), then 1 % of the accounts get a new order appended to orders.csv and a second sweep runs",
            "the same day: it reads only the new lines, reuses the day's learned model and the kept trend points.",
            "Last, a sweep of the next day with nothing new: a daily sweep, which scores everything again (new",
            "day: new model, new trend days). Target: the incremental sweep under a tenth of a full one; the ratio",
            "column compares it with the next-day sweep (no sync work either), the fairer full sweep.",
            "",
            "| accounts | sweep | orders read | seconds | CPU s | tasks planned | trend points replayed "
            "| model reused | ratio |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        full = {r["accounts"]: r["seconds"] for r in inc if r["sweep"] == "next_day"}
        for r in inc:
            ratio = ""
            if r["sweep"] == "incremental" and full.get(r["accounts"]):
                ratio = f"{r['seconds'] / full[r['accounts']]:.2f}"
            out.append(
                f"| {r['accounts']:,} | {r['sweep']} | {r['orders_read']:,} | {r['seconds']:.2f} "
                f"| {r['cpu_seconds']:.2f} | {r['tasks_planned']} | {r['trend_replayed']} "
                f"| {'yes' if r['model_reused'] else 'no'} | {ratio} |"
            )
        out.append("")
    ingest = [r for r in rows if r["bench"] == "ingest"]
    gen = {r["accounts"]: r for r in rows if r["bench"] == "generate"}
    if ingest:
        out += [
            "## CSV ingest (`scale_bench ingest`)",
            "",
            "The CSV adapter reading a demo folder's `orders.csv` and `order_lines.csv` (parse, validate, build the",
            "records), on one thread. Target: at least 1,000,000 order rows per second per core.",
            "",
            "| orders | order lines | rejected | seconds | order rows per second | peak (MiB) |",
            "|---|---|---|---|---|---|",
        ]
        for r in ingest:
            out.append(
                f"| {r['orders']:,} | {r['order_lines']:,} | {r['rejected']} | {r['seconds']:.2f} "
                f"| {r['order_rows_per_second']:,.0f} | {r['peak_rss_mib']:,.0f} |"
            )
        out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])

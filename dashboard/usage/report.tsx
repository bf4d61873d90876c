// One creation's usage in one month: reads the summary and the tiers, then shows the figures,
// the chart of calls per day, calls per tier, the top users and the tiers.

import { useEffect, useMemo, useState } from "react";
import { USAGE_TOP_USERS_PAGE_DEFAULT } from "../../src/shared/limits.ts";
import type { TierList, UsageSummary } from "../../src/shared/schemas/usage.ts";
import { problemText, tierList, type UsageQuery, usageSummary } from "./api.ts";
import { DailyChart } from "./chart.tsx";
import { formatMonth, plansOf } from "./format.ts";
import type { Selection } from "./selection.ts";
import { DayTable, Figures, TiersTable, TierTotals } from "./tables.tsx";
import { TopUsers } from "./top-users.tsx";

/** What was read, and for which query: a report read for another selection is never shown. */
type Report =
  | { state: "loading" }
  | { state: "failed"; query: UsageQuery; problem: string }
  | { state: "ready"; query: UsageQuery; summary: UsageSummary; tiers: TierList; reload: number };

export function UsageReport({
  selection,
  creationId,
  reloads,
}: {
  selection: Selection;
  creationId: string;
  /** Bumped by the Refresh button. */
  reloads: number;
}) {
  const query: UsageQuery = useMemo(
    () => ({
      creationId,
      period: selection.period,
      mode: selection.mode,
      meter: selection.meter,
      limit: USAGE_TOP_USERS_PAGE_DEFAULT,
    }),
    [creationId, selection.period, selection.mode, selection.meter],
  );
  const [report, setReport] = useState<Report>({ state: "loading" });
  const [reading, setReading] = useState(true);

  useEffect(() => {
    let current = true;
    setReading(true);
    Promise.all([usageSummary(query), tierList(query.creationId)])
      .then(
        ([summary, tiers]) =>
          current && setReport({ state: "ready", query, summary, tiers, reload: reloads }),
        (error) => current && setReport({ state: "failed", query, problem: problemText(error) }),
      )
      .finally(() => current && setReading(false));
    return () => {
      current = false;
    };
  }, [query, reloads]);

  // Another selection clears the page; a refresh keeps the figures until the new ones come.
  const shown = report.state !== "loading" && report.query === query ? report : null;
  if (!shown) {
    return (
      <p className="muted card" role="status">
        Reading usage…
      </p>
    );
  }
  if (shown.state === "failed") {
    return (
      <p className="problem card" role="alert" id="usage-problem">
        {shown.problem}
      </p>
    );
  }
  return (
    <Ready
      // Each reading starts afresh: its top users on their first page.
      key={shown.reload}
      summary={shown.summary}
      tiers={shown.tiers}
      query={query}
      reading={reading}
    />
  );
}

function Ready({
  summary,
  tiers,
  query,
  reading,
}: {
  summary: UsageSummary;
  tiers: TierList;
  query: UsageQuery;
  /** A refresh is under way: the figures shown stay until the new ones come. */
  reading: boolean;
}) {
  const plans = useMemo(() => plansOf(summary), [summary]);
  const month = formatMonth(summary.period);
  return (
    <div id="report" data-period={summary.period} data-mode={summary.mode} data-reading={reading}>
      <section className="card" aria-labelledby="month-title">
        <div className="title">
          <h2 id="month-title">
            {month} <span className="muted">· {summary.mode} · UTC</span>
          </h2>
          <span className="muted reading" role="status">
            {reading ? "Updating…" : ""}
          </span>
        </div>
        <Figures summary={summary} />
        {summary.total === 0 ? (
          <NoUsage summary={summary} />
        ) : (
          <figure>
            <DailyChart summary={summary} plans={plans} />
            <figcaption className="muted">
              Calls (<code>{summary.meter}</code>) per day of {month}, stacked by the tier each call
              was made on. Hover a day for its figures.
            </figcaption>
            <DayTable summary={summary} plans={plans} />
          </figure>
        )}
      </section>
      <section className="card" aria-labelledby="tiers-title">
        <h2 id="tiers-title">Tiers</h2>
        <TierTotals summary={summary} plans={plans} />
        <p className="muted note">A user counts under the tier of their latest call this month.</p>
        <TiersTable tiers={tiers} plans={plans} />
        {tiers.defaults && (
          <p className="muted note" id="default-tiers">
            These are the default tiers. Set your own with{" "}
            <code>PUT /v1/creations/{summary.creation_id}/tiers</code>.
          </p>
        )}
      </section>
      <TopUsers
        key={`${summary.period}:${summary.mode}`}
        query={query}
        summary={summary}
        plans={plans}
      />
    </div>
  );
}

function NoUsage({ summary }: { summary: UsageSummary }) {
  // Live calls come with the creation's rct_ token or a live secret key; test calls only with
  // a test secret key.
  const live = summary.mode === "live";
  return (
    <div className="empty" id="no-usage">
      <p>
        <strong>No calls in {formatMonth(summary.period)}</strong> ({summary.mode} mode). Calls
        appear here as soon as the creation's backend tracks them, with{" "}
        {live ? (
          <>
            its <code>rct_</code> token or a live secret key:
          </>
        ) : (
          <>
            a test secret key (<code>sk_test_…</code>):
          </>
        )}
      </p>
      <pre>
        <code>{`curl -X POST ${location.origin}/v1/creations/${summary.creation_id}/usage/track \\
  -H "authorization: Bearer ${live ? "$CREATION_TOKEN" : "$TEST_SECRET_KEY"}" \\
  -H 'content-type: application/json' -d '{"user_id":"alice"}'`}</code>
      </pre>
    </div>
  );
}

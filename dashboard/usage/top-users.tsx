// The month's users, most calls first, a page at a time: each page after the first is read
// with the previous page's next_cursor, and the cursors seen are kept so Previous goes back.

import { useState } from "react";
import type { UsageSummary } from "../../src/shared/schemas/usage.ts";
import { problemText, type UsageQuery, usageSummary } from "./api.ts";
import { formatMonth, formatNumber, formatShare, type Plan, planById } from "./format.ts";
import { Swatch } from "./tables.tsx";

/** Past this share of their tier's limit a user's meter turns amber; at the limit, red. */
const NEAR_LIMIT_SHARE = 0.75;

type TopUser = UsageSummary["top_users"][number];

interface Page {
  index: number;
  /** The cursor that reads each page seen so far; the first page's is null. */
  cursors: (string | null)[];
  rows: TopUser[];
  next: string | null;
}

export function TopUsers({
  query,
  summary,
  plans,
}: {
  query: UsageQuery;
  summary: UsageSummary;
  plans: Plan[];
}) {
  const first: Page = {
    index: 0,
    cursors: [null],
    rows: summary.top_users,
    next: summary.next_cursor,
  };
  const [page, setPage] = useState<Page>(first);
  const [loading, setLoading] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  async function open(index: number, cursors: (string | null)[]) {
    const cursor = cursors[index] ?? null;
    if (index === 0) {
      setPage(first);
      return;
    }
    setLoading(true);
    try {
      const answer = await usageSummary({ ...query, cursor });
      setPage({ index, cursors, rows: answer.top_users, next: answer.next_cursor });
      setProblem(null);
    } catch (error) {
      setProblem(problemText(error));
    } finally {
      setLoading(false);
    }
  }

  const rank = page.index * query.limit;
  const range =
    page.rows.length > 0 ? `Users ${rank + 1}–${rank + page.rows.length}` : "No users on this page";
  return (
    <section className="card" id="top-users" aria-labelledby="top-users-title" aria-busy={loading}>
      <h2 id="top-users-title">Top users</h2>
      {summary.top_users.length === 0 ? (
        <p className="empty">No user made a call in {formatMonth(summary.period)}.</p>
      ) : (
        <>
          <table>
            <caption>{range}, most calls first</caption>
            <thead>
              <tr>
                <th scope="col" className="number">
                  #
                </th>
                <th scope="col">User</th>
                <th scope="col">Tier</th>
                <th scope="col" className="number">
                  Calls
                </th>
                <th scope="col" className="number">
                  Share
                </th>
                <th scope="col">Of the tier's monthly limit</th>
              </tr>
            </thead>
            <tbody>
              {page.rows.map((user, i) => (
                <UserRow
                  key={user.user_id}
                  rank={rank + i + 1}
                  user={user}
                  plan={planById(plans, user.plan)}
                  total={summary.total}
                />
              ))}
            </tbody>
          </table>
          <nav className="pager" aria-label="Top users pages">
            <button
              type="button"
              id="top-users-previous"
              disabled={loading || page.index === 0}
              onClick={() => open(page.index - 1, page.cursors)}
            >
              ← Previous
            </button>
            <span data-page={page.index + 1}>Page {page.index + 1}</span>
            <button
              type="button"
              id="top-users-next"
              disabled={loading || page.next === null}
              onClick={() =>
                open(page.index + 1, [...page.cursors.slice(0, page.index + 1), page.next])
              }
            >
              Next →
            </button>
          </nav>
        </>
      )}
      {problem && (
        <p className="problem" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}

function UserRow({
  rank,
  user,
  plan,
  total,
}: {
  rank: number;
  user: TopUser;
  plan: Plan;
  total: number;
}) {
  const limit = plan.tier?.limit ?? null;
  return (
    <tr data-user={user.user_id}>
      <td className="number">{rank}</td>
      <th scope="row">
        <code>{user.user_id}</code>
      </th>
      <td data-cell="plan">
        <Swatch plan={plan} />
        {plan.name}
      </td>
      <td className="number" data-cell="calls">
        {formatNumber(user.count)}
      </td>
      <td className="number">{formatShare(user.count, total)}</td>
      <td data-cell="limit">
        {limit === null ? (
          <span className="muted">{plan.tier ? "unlimited" : "—"}</span>
        ) : (
          <span className="limit">
            <meter
              min={0}
              max={limit}
              value={Math.min(user.count, limit)}
              low={limit * NEAR_LIMIT_SHARE}
              high={limit - 0.5}
              optimum={0}
              aria-label={`${user.count} of ${limit} calls`}
            />
            {formatNumber(user.count)} of {formatNumber(limit)}
          </span>
        )}
      </td>
    </tr>
  );
}

public import SluicePostgres

/// The views of the credits pipeline: each answers one question of finance or customer
/// success with `SELECT * FROM view`, because they write SELECTs but not GROUP BY or joins.
///
/// They are plain views over the events table (always current, nothing to refresh), created
/// or replaced in the load's transaction. Events without a time are never dropped: they are
/// counted in `events_without_time` and form the `month` / `day` null rows.
public enum CreditsViews {
    /// Every view, in the events table's schema.
    public static func all(events: QualifiedName) -> [ViewDefinition] {
        let table = events.quoted
        func view(_ name: String, _ query: String) -> ViewDefinition {
            ViewDefinition(name: QualifiedName(schema: events.schema?.name, name: name), query: query)
        }
        let used = "coalesce(sum(credits) FILTER (WHERE action = 'deduct'), 0.00)"
        let added = "coalesce(sum(credits) FILTER (WHERE action = 'add'), 0.00)"
        let runs = RunLedger.runsTable.quoted, details = RunLedger.detailsTable.quoted
        func figure(_ name: String) -> String {
            "(SELECT d.value::bigint FROM \(details) AS d WHERE d.run_id = r.run_id AND d.name = '\(name)')"
        }
        return [
            view("finance_org_balance", """
                SELECT org_id, \(added) AS credits_added, \(used) AS credits_deducted, sum(signed_credits) AS balance,
                       count(*) AS events, count(*) FILTER (WHERE occurred_at IS NULL) AS events_without_time,
                       min(occurred_at) AS first_event_at, max(occurred_at) AS last_event_at
                FROM \(table) GROUP BY org_id ORDER BY org_id
                """),
            view("finance_org_monthly", """
                SELECT org_id, date_trunc('month', occurred_at)::date AS month, \(added) AS credits_added,
                       \(used) AS credits_deducted, sum(signed_credits) AS net
                FROM \(table) GROUP BY org_id, date_trunc('month', occurred_at)::date ORDER BY org_id, month NULLS LAST
                """),
            view("cs_user_activity", """
                SELECT org_id, user_id, credit_type, count(*) AS events, \(used) AS credits_used, \(added) AS credits_added,
                       min(occurred_at) AS first_seen_at, max(occurred_at) AS last_seen_at
                FROM \(table) GROUP BY org_id, user_id, credit_type ORDER BY org_id, user_id NULLS LAST, credit_type NULLS LAST
                """),
            view("cs_daily_usage", """
                SELECT occurred_at::date AS day, org_id, credit_type, count(*) AS events, count(DISTINCT user_id) AS active_users,
                       \(used) AS credits_used
                FROM \(table) GROUP BY occurred_at::date, org_id, credit_type ORDER BY day NULLS LAST, org_id, credit_type NULLS LAST
                """),
            view("cs_org_overview", """
                SELECT o.org_id, count(DISTINCT o.user_id) AS active_users, count(*) AS events,
                       (SELECT c.credit_type FROM \(table) AS c WHERE c.org_id = o.org_id AND c.credit_type IS NOT NULL
                        GROUP BY c.credit_type ORDER BY count(*) DESC, c.credit_type LIMIT 1) AS top_credit_type,
                       max(o.occurred_at) AS last_active_at
                FROM \(table) AS o GROUP BY o.org_id ORDER BY o.org_id
                """),
            view("credits_data_quality", """
                SELECT r.run_id, r.started_at, r.status, r.rows_read, \(figure("events")) AS events, \(figure("duplicates")) AS duplicates,
                       r.rows_rejected AS rejects,
                       coalesce(\(figure("rejects.missing_org_id")), 0) AS rejects_missing_org_id,
                       coalesce(\(figure("rejects.unknown_action")), 0) AS rejects_unknown_action,
                       coalesce(\(figure("rejects.invalid_credits")), 0) AS rejects_invalid_credits,
                       coalesce(\(figure("rejects.negative_credits")), 0) AS rejects_negative_credits,
                       coalesce(\(figure("rejects.field_count")), 0) AS rejects_field_count,
                       r.rows_rejected - coalesce((SELECT sum(d.value::bigint) FROM \(details) AS d
                            WHERE d.run_id = r.run_id AND d.name IN ('rejects.missing_org_id', 'rejects.unknown_action',
                            'rejects.invalid_credits', 'rejects.negative_credits', 'rejects.field_count')), 0) AS rejects_other,
                       \(figure("timestamps_parsed")) AS timestamps_parsed, \(figure("timestamps_missing")) AS timestamps_missing,
                       \(figure("timestamps_unparseable")) AS timestamps_unparseable
                FROM \(runs) AS r WHERE r.job = 'credits' ORDER BY r.started_at DESC
                """),
        ]
    }
}

-- grain: one row per chosen place and figure of one concept (every metric of it, or one); a place with none gets one row with a null value ("not reported", never 0). Each figure carries its verdict against the concept's reference figure (definition, period, level of place, size), whether it belongs to the like-for-like set, and its per-unit value with the denominator's figure and quote
-- params: $snapshot_id, $concept_id, $metric_id (null for every metric of the concept), $district_ids (list of ids, in the order shown), $like_for_like_only (keep only the like-for-like set), $per_month (keep only flows with a per-month value), $per (an adjustment id: figures are divided by their place's denominator within the like-for-like window and judged without their size; one without a denominator is kept, unlike ('no_denominator'); null for none)
-- summaries: concept_reach
with chosen as (
    select d.*, list_position($district_ids, d.district_id) as position,
    from districts as d
    where list_contains($district_ids, d.district_id)
),

concept_metrics as (
    select m.*, m.metric_id = r.reference_metric_id as is_reference_metric,
    from metrics as m
    join concept_reach as r on r.concept_id = m.concept_id and r.snapshot_id = $snapshot_id
    where m.concept_id = $concept_id and ($metric_id is null or m.metric_id = $metric_id)
),

-- the snapshot's rows on their own, first: joined with the rest, DuckDB would open every snapshot's file
snapshot_facts as materialized (
    select * from facts
    where snapshot_id = $snapshot_id
        and metric_id in (select metric_id from metrics where concept_id = $concept_id)
        and list_contains($district_ids, district_id)
),

-- the chosen places' denominators: exact whole-place figures of the adjustments' metrics
denominators as materialized (
    select f.*, a.adjustment_id, a.per_units,
    from facts as f
    join adjustments as a using (metric_id)
    where f.snapshot_id = $snapshot_id and list_contains($district_ids, f.district_id)
        and f.scope_zh is null and f.qualifier = 'exact'
),

-- each figure's size (its place's sub-districts at the nearest date) and, for $per, its denominator: the one
-- nearest in date within the like-for-like window
nearest_denominators as (
    select f.fact_id, d.*,
    from snapshot_facts as f
    join denominators as d on d.district_id = f.district_id
    where d.adjustment_id = size_adjustment()
        or (d.adjustment_id = $per and within_window(d.period_end, f.period_end))
    qualify row_number() over (
        partition by f.fact_id, d.adjustment_id
        order by abs(date_diff('day', d.period_end, f.period_end)), d.period_end desc
    ) = 1
),

figures as (
    select
        f.*,
        m.measure,
        m.unit,
        m.name_zh as metric_name_zh,
        m.name_en as metric_name_en,
        m.is_reference_metric,
        c.level,
        -- divided out by a per-unit view: a size that no longer differs
        if($per is null, s.value, null) as place_size,
        p.value as denominator,
        p.per_units,
        p.value_as_written as denominator_as_written,
        p.quote as denominator_quote,
        p.period_label as denominator_period_label,
        p.source_id as denominator_source_id,
        -- a per-unit view without this place's denominator: the figure is listed, not drawn
        $per is not null and p.value is null as missing_denominator,
    from snapshot_facts as f
    join concept_metrics as m using (metric_id)
    join chosen as c using (district_id)
    left join nearest_denominators as s on s.fact_id = f.fact_id and s.adjustment_id = size_adjustment()
    left join nearest_denominators as p on p.fact_id = f.fact_id and p.adjustment_id = $per
),

-- how many others each figure is like for like with, by comparability_reasons' rules, counted in
-- windows rather than over every pair (thousands of places would make millions of pairs)
reach as (
    select
        f.*,
        f.scope_zh is null and f.qualifier <> 'estimate' and f.period_basis <> 'open' as comparable,
        if(
            f.scope_zh is null and f.qualifier <> 'estimate' and f.period_basis <> 'open',
            if(
                measured_over_period(f.measure) and not $per_month,
                count(*) over same_length,
                count(*) over dated_within_a_year
            ) - 1,
            0
        ) as like_count,
    from figures as f
    window
        same_length as (
            partition by f.scope_zh is null, f.qualifier = 'estimate', f.period_basis, f.metric_id, f.measure, f.level,
                f.measure = 'target' or f.qualifier = 'target', period_months(f.period_start, f.period_end)
        ),
        dated_within_a_year as (
            partition by f.scope_zh is null, f.qualifier = 'estimate', f.period_basis, f.metric_id, f.measure, f.level,
                f.measure = 'target' or f.qualifier = 'target'
            order by f.period_end
            range between to_days(like_for_like_days()) preceding and to_days(like_for_like_days()) following
        )
),

-- what the others are measured against: the figure like for like with the most others (in a per-unit
-- view, of those with a denominator); among equals, one of the reference metric, a whole-place outcome with a
-- known period, the latest
reference as (
    select * from reach
    order by
        missing_denominator,
        like_count desc,
        is_reference_metric desc,
        (comparable and qualifier <> 'target' and measure <> 'target') desc,
        period_end desc,
        district_id
    limit 1
),

judged as (
    select
        f.* exclude (comparable, like_count),
        f.fact_id = r.fact_id and not f.missing_denominator as is_reference,
        -- the reference is what the others are measured against, not measured itself
        list_concat(
            if(
                f.fact_id = r.fact_id,
                []::varchar[],
                comparability_reasons(
                    f.metric_id, f.measure, f.scope_zh, f.qualifier, f.period_basis, f.period_start, f.period_end,
                    r.metric_id, r.measure, r.scope_zh, r.qualifier, r.period_basis, r.period_start, r.period_end,
                    level_a := f.level, size_a := f.place_size, level_b := r.level, size_b := r.place_size,
                    per_month := $per_month
                )
            ),
            if(f.missing_denominator, ['no_denominator'], []::varchar[])
        ) as reasons,
    from reach as f
    cross join reference as r
),

-- Like for like with the reference is like for like with each other, but for dates and sizes: two stocks a
-- year either side of the reference are two years apart, two places 1.5 times the reference's size 2.25 times
-- each other's. Such outer figures leave the set.
candidates as (
    select * from judged where len(reasons) = 0
),

conflicting as (
    select c.fact_id,
    from candidates as c
    cross join (
        select
            min(period_end) as earliest,
            max(period_end) as latest,
            min(place_size) as smallest,
            max(place_size) as largest,
        from candidates
    ) as span
    where not c.is_reference and (
        (
            (not measured_over_period(c.measure) or $per_month)
            and not (within_window(span.earliest, c.period_end) and within_window(c.period_end, span.latest))
        )
        or (
            grows_with_place(c.measure)
            and (sizes_differ(c.place_size, span.smallest) or sizes_differ(c.place_size, span.largest))
        )
    )
),

judged_set as (
    select
        j.*,
        len(j.reasons) = 0 and x.fact_id is null as in_like_set,
        -- a flow with a known period, per month of it; null where that would mislead
        if(j.measure = 'flow' and j.period_basis <> 'open', j.value / period_months(j.period_start, j.period_end), null)
            as value_per_month,
        -- the value the chart draws: per month and per unit where chosen; none without the chosen denominator
        if(
            j.missing_denominator,
            null,
            (if($per_month, value_per_month, j.value)) / coalesce(j.denominator / j.per_units, 1)
        ) as value_adjusted,
    from judged as j
    left join conflicting as x using (fact_id)
),

shown as (
    select * from judged_set
    where (not $like_for_like_only or in_like_set) and (not $per_month or value_per_month is not null)
),

left_out as (
    select district_id, count(*) as figures_left_out,
    from judged_set
    anti join shown using (fact_id)
    group by district_id
)

select
    c.district_id,
    c.name_zh,
    c.name_en,
    j.fact_id,
    j.metric_id,
    j.metric_name_zh,
    j.metric_name_en,
    j.measure,
    j.unit,
    j.value,
    j.qualifier,
    j.period_start,
    j.period_end,
    j.period_label,
    j.period_basis,
    j.scope_zh,
    j.scope_en,
    j.value_as_written,
    j.quote,
    j.note,
    j.source_id,
    s.title_zh as source_title_zh,
    s.title_en as source_title_en,
    j.is_reference,
    -- comma-separated, empty for like for like: a plain column that caches, hashes and exports as text
    array_to_string(j.reasons, ',') as reasons,
    len(j.reasons) = 0 as like_for_like,
    j.in_like_set,
    j.value_per_month,
    j.value_adjusted,
    j.denominator,
    j.per_units,
    j.denominator_as_written,
    j.denominator_quote,
    j.denominator_period_label,
    j.denominator_source_id,
    c.level,
    j.place_size,
    coalesce(o.figures_left_out, 0) as figures_left_out,
from chosen as c
left join shown as j using (district_id)
left join left_out as o using (district_id)
left join sources as s on s.source_id = j.source_id
order by c.position, j.is_reference_metric desc, j.metric_id, j.period_end, j.period_start

-- grain: one row per chosen place and figure of one concept (every metric of it, or one); a place with none gets one row with a null value ("not reported", never 0). Each figure carries its verdict against the concept's reference figure and whether it belongs to the like-for-like set
-- params: $snapshot_id, $concept_id, $metric_id (null for every metric of the concept), $district_ids (list of ids, in the order shown), $like_for_like_only (keep only the like-for-like set), $per_month (keep only flows with a per-month value)
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

figures as (
    select
        f.*,
        m.measure,
        m.unit,
        m.name_zh as metric_name_zh,
        m.name_en as metric_name_en,
        m.is_reference_metric,
    from snapshot_facts as f
    join concept_metrics as m using (metric_id)
),

pairs as (
    select
        a.fact_id,
        b.fact_id as other_fact_id,
        comparability_reasons(
            a.metric_id, a.measure, a.scope_zh, a.qualifier, a.period_basis, a.period_start, a.period_end,
            b.metric_id, b.measure, b.scope_zh, b.qualifier, b.period_basis, b.period_start, b.period_end
        ) as reasons,
    from figures as a
    join figures as b on a.fact_id <> b.fact_id
),

-- what the others are measured against: the figure like for like with the most others; among
-- equals, one of the reference metric, a whole-place outcome with a known period, the latest
reference as (
    select f.fact_id,
    from figures as f
    left join pairs as p on p.fact_id = f.fact_id and len(p.reasons) = 0
    group by f.fact_id, f.is_reference_metric, f.scope_zh, f.qualifier, f.measure, f.period_basis, f.period_end,
        f.district_id
    order by
        count(p.other_fact_id) desc,
        f.is_reference_metric desc,
        (f.scope_zh is null and f.qualifier not in ('estimate', 'target') and f.measure <> 'target'
            and f.period_basis <> 'open') desc,
        f.period_end desc,
        f.district_id
    limit 1
),

judged as (
    select
        f.*,
        f.fact_id = r.fact_id as is_reference,
        coalesce(p.reasons, []) as reasons,
    from figures as f
    cross join reference as r
    left join pairs as p on p.fact_id = f.fact_id and p.other_fact_id = r.fact_id
),

-- a figure like for like with the reference, but not with another such figure (two stocks 12 months
-- either side of it), leaves the set: the set holds only figures like for like with each other
conflicting as (
    select distinct a.fact_id,
    from judged as a
    join judged as b on a.fact_id <> b.fact_id
    join pairs as p on p.fact_id = a.fact_id and p.other_fact_id = b.fact_id
    where len(a.reasons) = 0 and len(b.reasons) = 0 and not a.is_reference and len(p.reasons) > 0
),

judged_set as (
    select
        j.*,
        len(j.reasons) = 0 and x.fact_id is null as in_like_set,
        -- a flow with a known period, per month of it; null where that would mislead
        if(j.measure = 'flow' and j.period_basis <> 'open', j.value / period_months(j.period_start, j.period_end), null)
            as value_per_month,
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
    coalesce(o.figures_left_out, 0) as figures_left_out,
from chosen as c
left join shown as j using (district_id)
left join left_out as o using (district_id)
left join sources as s on s.source_id = j.source_id
order by c.position, j.is_reference_metric desc, j.metric_id, j.period_end, j.period_start

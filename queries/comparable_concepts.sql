-- grain: one row per other place and concept (or family) that it and one place both report: the best verdict of their figures' pairs — like for like, comparable after a stated adjustment (per month, per sub-district), or related only (same concept but unlike, or the same family in another definition)
-- params: $snapshot_id, $district_id (the place), $other_ids (list of the places it is compared with)
with figures as materialized (
    select f.*, m.concept_id, m.measure, m.category, c.family_id, d.level,
    from facts as f
    join metrics as m using (metric_id)
    join concepts as c using (concept_id)
    join districts as d using (district_id)
    where f.snapshot_id = $snapshot_id and (f.district_id = $district_id or list_contains($other_ids, f.district_id))
),

sizes as (
    select f.district_id, f.value, f.period_end,
    from facts as f
    join adjustments as a using (metric_id)
    where f.snapshot_id = $snapshot_id and a.adjustment_id = size_adjustment()
        and f.scope_zh is null and f.qualifier = 'exact'
        and (f.district_id = $district_id or list_contains($other_ids, f.district_id))
),

-- each figure's size: its place's sub-districts nearest in date, and whether that count is within the window (a
-- per-sub-district view can then divide it out)
sized as (
    select f.*, s.value as place_size, within_window(s.period_end, f.period_end) as size_in_window,
    from figures as f
    left join sizes as s using (district_id)
    qualify row_number() over (partition by f.fact_id order by abs(date_diff('day', s.period_end, f.period_end))) = 1
),

pairs as (
    select
        a.concept_id,
        a.family_id,
        a.category,
        b.district_id as other_id,
        a.fact_id as fact_a,
        b.fact_id as fact_b,
        a.concept_id = b.concept_id as same_concept,
        comparability_reasons(
            a.metric_id, a.measure, a.scope_zh, a.qualifier, a.period_basis, a.period_start, a.period_end,
            b.metric_id, b.measure, b.scope_zh, b.qualifier, b.period_basis, b.period_start, b.period_end,
            level_a := a.level, size_a := a.place_size, level_b := b.level, size_b := b.place_size
        ) as reasons,
        coalesce(a.size_in_window and b.size_in_window, false) as size_adjustable,
        -- the same pair per month (flows) and, where both sizes are printed within the window, per sub-district
        comparability_reasons(
            a.metric_id, a.measure, a.scope_zh, a.qualifier, a.period_basis, a.period_start, a.period_end,
            b.metric_id, b.measure, b.scope_zh, b.qualifier, b.period_basis, b.period_start, b.period_end,
            level_a := a.level, size_a := if(size_adjustable, null, a.place_size),
            level_b := b.level, size_b := if(size_adjustable, null, b.place_size),
            per_month := a.measure = 'flow' and b.measure = 'flow'
        ) as adjusted_reasons,
    from sized as a
    join sized as b on b.family_id = a.family_id and b.district_id <> a.district_id
    where a.district_id = $district_id
),

judged as (
    select
        *,
        case
            when same_concept and len(reasons) = 0 then 'like'
            when same_concept and len(adjusted_reasons) = 0 then 'adjusted'
            else 'related'
        end as verdict,
        case
            when not (same_concept and len(reasons) > 0 and len(adjusted_reasons) = 0) then null
            when list_contains(reasons, 'different_size') then 'subdistrict'
            else 'month'
        end as adjustment,
    from pairs
),

best as (
    select * from judged
    qualify row_number() over (
        partition by other_id, if(same_concept, concept_id, family_id)
        order by list_position(['like', 'adjusted', 'related'], verdict), same_concept desc, fact_a, fact_b
    ) = 1
)

select
    b.verdict,
    b.adjustment,
    b.category,
    b.concept_id,
    c.name_zh as concept_name_zh,
    c.name_en as concept_name_en,
    c.family_zh,
    c.family_en,
    b.same_concept,
    array_to_string(b.reasons, ',') as reasons,
    fa.district_id,
    b.other_id,
    d.name_zh as other_name_zh,
    d.name_en as other_name_en,
    fa.value_as_written as written_a,
    fa.period_label as period_a,
    fb.value_as_written as written_b,
    fb.period_label as period_b,
from best as b
join concepts as c using (concept_id)
join districts as d on d.district_id = b.other_id
join figures as fa on fa.fact_id = b.fact_a
join figures as fb on fb.fact_id = b.fact_b
order by list_position(['like', 'adjusted', 'related'], b.verdict), b.category, b.concept_id, d.name_en, b.other_id

-- grain: one row per per-unit adjustment: the metric whose figure divides a place's figures, and per how many of its units
-- params: none (the denominators themselves are curated figures with their quotes, in the snapshot's facts; the sub-district count is also a place's size)
create table adjustments as
select * from (
    values
        ('subdistrict', 'streets', 1),
        ('community', 'communities', 1),
        ('member', 'party_members', 100),
) as a (adjustment_id, metric_id, per_units);

-- the adjustment whose denominator measures a place's size
create macro size_adjustment() as 'subdistrict';

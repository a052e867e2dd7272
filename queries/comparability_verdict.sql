-- grain: one row per pair of figures described by the parameters (any two, stored or not): their verdict
-- params: $metric_a, $measure_a, $scope_a, $qualifier_a, $basis_a, $start_a, $end_a, $level_a, $size_a, $metric_b, $measure_b, $scope_b, $qualifier_b, $basis_b, $start_b, $end_b, $level_b, $size_b, $per_month
with verdict as (
    select comparability_reasons(
        $metric_a, $measure_a, $scope_a, $qualifier_a, $basis_a, $start_a::date, $end_a::date,
        $metric_b, $measure_b, $scope_b, $qualifier_b, $basis_b, $start_b::date, $end_b::date,
        level_a := $level_a, size_a := $size_a::double, level_b := $level_b, size_b := $size_b::double,
        per_month := coalesce($per_month, false)
    ) as reasons,
)

select reasons, len(reasons) = 0 as like_for_like, from verdict

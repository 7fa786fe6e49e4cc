#include "eval/Analysis.h"

#include "eval/ClusterMetrics.h"
#include "swav/PrototypeCosines.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <torch/utils.h>

#include <algorithm>

namespace swav {

namespace {

template <class T> std::vector<T> toVector(const at::Tensor& t) {
    auto c = t.to(at::kCPU).contiguous();
    return std::vector<T>(c.data_ptr<T>(), c.data_ptr<T>() + c.numel());
}

} // namespace

Projection pcaProjection(const at::Tensor& features) {
    torch::NoGradGuard noGrad;
    Projection p;
    auto x = features.to(at::kCPU, at::kDouble);
    x = x - x.mean(0, true);
    auto [u, s, vh] = at::linalg_svd(x, /*full_matrices=*/false);
    const int64_t components = std::min<int64_t>(2, vh.size(0));
    auto basis = vh.slice(0, 0, components).t(); // [D, c]
    auto points = at::mm(x, basis);
    if (components < 2)
        points =
            at::cat({points, at::zeros({points.size(0), 2 - components}, points.options())}, 1);
    p.points = points.to(at::kFloat);
    const double total = (s * s).sum().item<double>();
    for (int64_t c = 0; c < components && total > 0; ++c)
        p.explained[c] = (s[c] * s[c]).item<double>() / total;
    return p;
}

ClusterGallery clusterGallery(const at::Tensor& scores, const at::Tensor& labels, int topN) {
    torch::NoGradGuard noGrad;
    ClusterGallery g;
    const auto s = scores.to(at::kCPU, at::kFloat);
    const auto assigned = s.argmax(1);
    const int64_t k = s.size(1);
    const bool labelled = labels.defined() && labels.numel() == s.size(0);
    const auto labelsCpu = labelled ? labels.to(at::kCPU, at::kLong) : at::Tensor();
    for (int64_t proto = 0; proto < k; ++proto) {
        PrototypeCluster c;
        c.prototype = static_cast<int>(proto);
        const auto members = (assigned == proto).nonzero().flatten();
        c.size = members.numel();
        if (c.size > 0) {
            const auto memberScores = s.index_select(0, members).select(1, proto);
            const auto [top, order] = memberScores.topk(std::min<int64_t>(topN, c.size));
            c.topImages = toVector<int64_t>(members.index_select(0, order));
            for (float v : toVector<float>(top))
                c.topScores.push_back(v);
            if (labelled) {
                const auto counts = at::bincount(labelsCpu.index_select(0, members));
                const auto [best, bestLabel] = counts.max(0);
                c.majorityLabel = static_cast<int>(bestLabel.item<int64_t>());
                c.purity = best.item<double>() / static_cast<double>(c.size);
            }
        }
        g.clusters.push_back(std::move(c));
    }
    std::stable_sort(g.clusters.begin(), g.clusters.end(),
                     [](const auto& a, const auto& b) { return a.size > b.size; });
    if (labelled) {
        g.nmi = normalizedMutualInformation(assigned, labelsCpu);
        g.ari = adjustedRandIndex(assigned, labelsCpu);
    }
    return g;
}

PrototypeHealth prototypeHealth(const at::Tensor& prototypes, const at::Tensor& assignments,
                                double duplicateThreshold) {
    torch::NoGradGuard noGrad;
    PrototypeHealth h;
    auto w = prototypes.to(at::kCPU, at::kFloat);
    w = w / w.norm(2, 1, true).clamp_min(1e-12);
    const int64_t k = w.size(0);
    auto usage = at::zeros({k}, at::kLong);
    usage.index_add_(0, assignments.to(at::kCPU, at::kLong),
                     at::ones({assignments.numel()}, at::kLong));
    h.usage = toVector<int64_t>(usage);
    h.emptyPrototypes = static_cast<int>((usage == 0).sum().item<int64_t>());
    const PrototypeCosines cosines = prototypeCosines(w, duplicateThreshold, kListedDuplicates);
    h.maxCosine = cosines.max;
    h.meanCosine = cosines.mean;
    h.nearDuplicates = cosines.nearDuplicates;
    h.nearDuplicatePairs = cosines.nearDuplicatePairs;
    return h;
}

nlohmann::json toJson(const Projection& p) {
    nlohmann::json out;
    out["explained_variance"] = {p.explained[0], p.explained[1]};
    auto points = p.points.to(at::kCPU).contiguous();
    nlohmann::json rows = nlohmann::json::array();
    for (int64_t i = 0; i < points.size(0); ++i) {
        nlohmann::json row = {{"x", points[i][0].item<float>()}, {"y", points[i][1].item<float>()}};
        if (p.indices.defined())
            row["index"] = p.indices[i].item<int64_t>();
        if (p.labels.defined())
            row["label"] = p.labels[i].item<int64_t>();
        if (p.prototypes.defined())
            row["prototype"] = p.prototypes[i].item<int64_t>();
        rows.push_back(row);
    }
    out["points"] = rows;
    return out;
}

nlohmann::json toJson(const ClusterGallery& g, const std::vector<std::string>& classNames) {
    nlohmann::json clusters = nlohmann::json::array();
    for (const auto& c : g.clusters) {
        nlohmann::json item = {{"prototype", c.prototype},
                               {"size", c.size},
                               {"top_images", c.topImages},
                               {"top_scores", c.topScores}};
        if (c.majorityLabel >= 0) {
            item["majority_label"] = c.majorityLabel;
            if (static_cast<size_t>(c.majorityLabel) < classNames.size())
                item["majority_class"] = classNames[static_cast<size_t>(c.majorityLabel)];
            item["purity"] = c.purity;
        }
        clusters.push_back(item);
    }
    nlohmann::json out = {{"clusters", clusters}};
    if (g.nmi >= 0) {
        out["nmi"] = g.nmi;
        out["ari"] = g.ari;
    }
    return out;
}

nlohmann::json toJson(const PrototypeHealth& h) {
    nlohmann::json duplicates = nlohmann::json::array();
    for (const auto& [a, b] : h.nearDuplicates)
        duplicates.push_back({a, b});
    return {{"usage", h.usage},
            {"empty_prototypes", h.emptyPrototypes},
            {"max_cosine", h.maxCosine},
            {"mean_cosine", h.meanCosine},
            {"near_duplicates", duplicates},
            {"near_duplicate_pairs", h.nearDuplicatePairs}};
}

} // namespace swav

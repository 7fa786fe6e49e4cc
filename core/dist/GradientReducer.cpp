#include "dist/GradientReducer.h"

#include "dist/Collective.h"

#include <ATen/ATen.h>

namespace swav {

GradientReducer::GradientReducer(std::vector<at::Tensor> parameters, Collective& collective,
                                 int64_t bucketBytes, bool overlap)
    : m_parameters(std::move(parameters))
    , m_collective(collective)
    , m_overlap(overlap) {
    m_location.resize(m_parameters.size());
    m_arrived.assign(m_parameters.size(), false);
    // Gradients of the last layers arrive first: fill buckets from the end.
    Bucket current;
    int64_t currentBytes = 0;
    auto close = [&] {
        if (current.parameters.empty())
            return;
        const auto& first = m_parameters[current.parameters.front()];
        current.flat =
            at::zeros({current.offsets.back() + m_parameters[current.parameters.back()].numel()},
                      first.options().requires_grad(false));
        m_buckets.push_back(std::move(current));
        current = Bucket();
        currentBytes = 0;
    };
    for (size_t i = m_parameters.size(); i-- > 0;) {
        const auto& p = m_parameters[i];
        const bool sameKind =
            current.parameters.empty() ||
            (m_parameters[current.parameters.front()].scalar_type() == p.scalar_type() &&
             m_parameters[current.parameters.front()].device() == p.device());
        if (!sameKind ||
            (currentBytes > 0 && currentBytes + p.nbytes() > static_cast<size_t>(bucketBytes)))
            close();
        const int64_t offset =
            current.parameters.empty()
                ? 0
                : current.offsets.back() + m_parameters[current.parameters.back()].numel();
        m_location[i] = {m_buckets.size(), current.parameters.size()};
        current.parameters.push_back(i);
        current.offsets.push_back(offset);
        currentBytes += static_cast<int64_t>(p.nbytes());
    }
    close();
    if (m_overlap)
        for (size_t i = 0; i < m_parameters.size(); ++i)
            m_parameters[i].register_hook(
                [this, i](const at::Tensor& grad) { onGradient(i, grad); });
}

GradientReducer::~GradientReducer() = default;

void GradientReducer::prepare() {
    std::fill(m_arrived.begin(), m_arrived.end(), false);
    for (auto& bucket : m_buckets) {
        bucket.ready = 0;
        bucket.pending.reset();
    }
    m_nextLaunch = 0;
}

void GradientReducer::onGradient(size_t parameter, const at::Tensor& grad) {
    // A parameter used several times gets one hook call with the summed gradient.
    if (m_arrived[parameter])
        return;
    m_arrived[parameter] = true;
    const auto [bucketIndex, slot] = m_location[parameter];
    auto& bucket = m_buckets[bucketIndex];
    const auto& p = m_parameters[parameter];
    bucket.flat.narrow(0, bucket.offsets[slot], p.numel()).view(p.sizes()).copy_(grad);
    ++bucket.ready;
    launchReadyBuckets();
}

void GradientReducer::launchReadyBuckets() {
    while (m_nextLaunch < m_buckets.size()) {
        auto& bucket = m_buckets[m_nextLaunch];
        if (bucket.ready < static_cast<int64_t>(bucket.parameters.size()))
            return;
        launch(bucket);
        ++m_nextLaunch;
    }
}

void GradientReducer::launch(Bucket& bucket) {
    bucket.pending = m_collective.allReduceSumAsync(bucket.flat);
}

void GradientReducer::finish() {
    // Parameters without a gradient this step contribute zeros, the same on every rank.
    for (size_t i = 0; i < m_parameters.size(); ++i) {
        if (m_arrived[i])
            continue;
        const auto& p = m_parameters[i];
        const auto [bucketIndex, slot] = m_location[i];
        auto& bucket = m_buckets[bucketIndex];
        auto region = bucket.flat.narrow(0, bucket.offsets[slot], p.numel());
        if (p.grad().defined())
            region.view(p.sizes()).copy_(p.grad());
        else
            region.zero_();
        m_arrived[i] = true;
        ++bucket.ready;
    }
    launchReadyBuckets();
    const double world = m_collective.worldSize();
    for (auto& bucket : m_buckets) {
        bucket.pending->wait();
        bucket.pending.reset();
        bucket.flat.div_(world);
        for (size_t slot = 0; slot < bucket.parameters.size(); ++slot) {
            auto& p = m_parameters[bucket.parameters[slot]];
            const auto mean =
                bucket.flat.narrow(0, bucket.offsets[slot], p.numel()).view(p.sizes());
            if (p.grad().defined())
                p.mutable_grad().copy_(mean);
            else
                p.mutable_grad() = mean.clone();
        }
    }
}

} // namespace swav

#include "dist/ProcessGroupCollective.h"

#include "util/Expected.h"

#include <ATen/ATen.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <c10/util/Logging.h>
#include <netdb.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>
#include <unistd.h>

namespace swav {

namespace {

using Milliseconds = std::chrono::milliseconds;

std::string thisHostName() {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0)
        return "unknown-host";
    return name;
}

std::vector<uint8_t> bytes(const std::string& text) {
    return {text.begin(), text.end()};
}

std::string text(const std::vector<uint8_t>& value) {
    return {value.begin(), value.end()};
}

std::shared_ptr<::gloo::transport::Device> glooDevice(const DistributedSetup& setup) {
    // Loopback runs stay on the loopback; other runs take GLOO_SOCKET_IFNAME or the interface
    // that this host's name resolves to, as PyTorch does.
    if (isLoopbackAddress(setup.masterAddr))
        return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
    if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"); interface && *interface)
        return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
    return c10d::ProcessGroupGloo::createDefaultDevice();
}

} // namespace

struct ProcessGroupCollective::Impl {
    DistributedSetup setup;
    c10::Device device{c10::kCPU};
    bool nccl = false;
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#ifdef USE_C10D_NCCL
    c10::intrusive_ptr<c10d::ProcessGroupNCCL> ncclGroup;
#endif
    std::vector<std::string> hosts;
    std::vector<std::string> identities; // "host, pid N" by rank

    /// NCCL reduces device tensors only; small CPU tensors travel through the device.
    template <class Op> void run(std::vector<at::Tensor>& tensors, Op&& op) {
        try {
            if (!nccl || tensors.empty() || tensors.front().is_cuda()) {
                op(tensors)->wait();
                return;
            }
            std::vector<at::Tensor> staged;
            for (auto& t : tensors)
                staged.push_back(t.to(device));
            op(staged)->wait();
            for (size_t i = 0; i < tensors.size(); ++i)
                tensors[i].copy_(staged[i]);
        } catch (const UserError&) {
            throw;
        } catch (const std::exception& e) {
            throw UserError(diagnose(e.what()));
        }
    }

    c10::intrusive_ptr<c10d::Work> allReduce(std::vector<at::Tensor>& tensors,
                                             c10d::ReduceOp op = c10d::ReduceOp::SUM) {
        c10d::AllreduceOptions options;
        options.reduceOp = op;
#ifdef USE_C10D_NCCL
        if (nccl)
            return ncclGroup->allreduce(tensors, options);
#endif
        return gloo->allreduce(tensors, options);
    }

    c10::intrusive_ptr<c10d::Work> broadcast(std::vector<at::Tensor>& tensors) {
#ifdef USE_C10D_NCCL
        if (nccl)
            return ncclGroup->broadcast(tensors);
#endif
        return gloo->broadcast(tensors);
    }

    /// Names the ranks that stopped taking part: each rank that fails marks itself in the store;
    /// a rank that has not done so within a few seconds died or hangs.
    std::string diagnose(const std::string& cause) {
        const std::string me = describe(setup.rank);
        std::string culprits;
        try {
            store->setTimeout(Milliseconds(5000));
            store->set("failed/" + std::to_string(setup.rank), bytes("1"));
            std::vector<int> silent;
            for (int attempt = 0; attempt < 30; ++attempt) {
                silent.clear();
                for (int r = 0; r < setup.worldSize; ++r)
                    if (r != setup.rank && !store->check({"failed/" + std::to_string(r)}))
                        silent.push_back(r);
                if (silent.empty())
                    break;
                std::this_thread::sleep_for(Milliseconds(100));
            }
            for (int r : silent)
                culprits += (culprits.empty() ? "" : "; ") + describe(r) + " " + state(r);
        } catch (const std::exception&) {
            culprits = describe(0) + " does not answer (it hosts the rendezvous at " +
                       setup.masterAddr + ":" + std::to_string(setup.masterPort) +
                       "): it died or hangs";
        }
        if (culprits.empty())
            culprits = "every rank reported the failure";
        return "data-parallel run failed on " + me + ": " + culprits + " (" + cause + ")";
    }

    /// Whether a rank on this host is still alive.
    std::string state(int r) const {
        const auto pid = pidOf(r);
        if (hosts[static_cast<size_t>(r)] != thisHostName() || pid <= 0)
            return "stopped answering within " + std::to_string(setup.timeoutSeconds) + " s";
        if (::kill(pid, 0) != 0 && errno == ESRCH)
            return "has exited";
        return "is alive but stopped answering within " + std::to_string(setup.timeoutSeconds) +
               " s (it hangs or is stopped)";
    }

    pid_t pidOf(int r) const {
        const auto& id = identities[static_cast<size_t>(r)];
        const auto at = id.rfind("pid ");
        return at == std::string::npos ? 0 : static_cast<pid_t>(std::atol(id.c_str() + at + 4));
    }

    std::string describe(int r) const {
        if (r < 0 || r >= static_cast<int>(identities.size()) ||
            identities[static_cast<size_t>(r)].empty())
            return "rank " + std::to_string(r);
        return "rank " + std::to_string(r) + " (" + identities[static_cast<size_t>(r)] + ")";
    }
};

namespace {

/// c10d and Gloo warn about every retry and address they try; the run's own messages say what
/// went wrong in one line. TORCH_CPP_LOG_LEVEL set by the user keeps them.
void muteLibraryLogs() {
    if (std::getenv("TORCH_CPP_LOG_LEVEL"))
        return;
#ifdef C10_USE_GLOG
    FLAGS_minloglevel = google::GLOG_ERROR;
#endif
    FLAGS_caffe2_log_level = 2; // errors only
}

/// A name that does not resolve fails now, not after the whole timeout.
void resolveMasterAddress(const DistributedSetup& setup) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int error = ::getaddrinfo(setup.masterAddr.c_str(), nullptr, &hints, &found);
    if (error != 0)
        throw UserError(
            "the rendezvous address '" + setup.masterAddr +
            "' (--master-addr or MASTER_ADDR) cannot be resolved: " + ::gai_strerror(error));
    ::freeaddrinfo(found);
}

std::string rendezvousPlace(const DistributedSetup& setup) {
    return setup.masterAddr + ":" + std::to_string(setup.masterPort);
}

/// Every rank checks its world size against rank 0's, then all wait until each of the
/// world's ranks has arrived (its identity is in the store). Errors are one line naming the
/// ranks missing or mismatched, the address and the timeout.
void awaitEveryRank(c10d::Store& store, const DistributedSetup& setup, const std::string& self) {
    const std::string mine = std::to_string(setup.worldSize);
    const std::string me = "rank " + std::to_string(setup.rank) + " (" + self + ")";
    const std::string sameSize = "; every process needs the same WORLD_SIZE (or --nnodes x "
                                 "--nproc-per-node)";
    if (setup.rank == 0)
        store.set("world_size", bytes(mine));
    const std::string rankZeros = text(store.get("world_size"));
    if (rankZeros != mine) {
        store.set("mismatch", bytes(me + " was started with a world size of " + mine));
        throw UserError(me + " was started with a world size of " + mine + ", rank 0 with " +
                        rankZeros + sameSize);
    }
    store.set("identity/" + std::to_string(setup.rank), bytes(self));
    store.add("arrived", 1);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(setup.setupTimeoutSeconds);
    while (store.add("arrived", 0) < setup.worldSize) {
        if (store.check({"mismatch"}))
            throw UserError(text(store.get("mismatch")) + ", rank 0 with " + mine + sameSize);
        if (std::chrono::steady_clock::now() > deadline) {
            std::string missing;
            int count = 0;
            for (int r = 0; r < setup.worldSize; ++r)
                if (!store.check({"identity/" + std::to_string(r)}))
                    missing += (count++ ? ", " : "") + std::to_string(r);
            throw UserError("the rendezvous at " + rendezvousPlace(setup) + " failed: rank" +
                            (count > 1 ? "s " : " ") + missing + " of " + mine +
                            " did not arrive within " + std::to_string(setup.setupTimeoutSeconds) +
                            " s (runtime.dist_setup_timeout_s); were they started, with this "
                            "address and port?");
        }
        std::this_thread::sleep_for(Milliseconds(50));
    }
}

c10::intrusive_ptr<c10d::Store> joinStore(const DistributedSetup& setup) {
    c10d::TCPStoreOptions options;
    options.port = static_cast<uint16_t>(setup.masterPort);
    options.isServer = setup.rank == 0;
    options.numWorkers = static_cast<size_t>(setup.worldSize);
    options.waitWorkers = false; // awaitEveryRank waits, and names who is missing
    options.timeout = std::chrono::seconds(setup.setupTimeoutSeconds);
    const std::string where = rendezvousPlace(setup);
    try {
        return c10::make_intrusive<c10d::TCPStore>(setup.masterAddr, options);
    } catch (const std::exception& e) {
        const std::string cause = e.what();
        if (setup.rank == 0 && cause.find("ddress already in use") != std::string::npos)
            throw UserError("cannot host the rendezvous on " + where +
                            ": the port is in use (another run?); choose another with "
                            "--master-port or MASTER_PORT");
        if (setup.rank == 0)
            throw UserError("cannot host the rendezvous on " + where + ": " +
                            cause.substr(0, cause.find('\n')));
        throw UserError("rank " + std::to_string(setup.rank) + " cannot reach the master at " +
                        where + " within " + std::to_string(setup.setupTimeoutSeconds) +
                        " s: is rank 0 running and the address reachable from this host? (" +
                        cause.substr(0, cause.find('\n')) + ")");
    }
}

} // namespace

// The NCCL group for a CUDA device, else the Gloo group, of impl.setup's rank and size on
// impl.store.
void ProcessGroupCollective::createProcessGroup(Impl& impl) {
    const auto& setup = impl.setup;
    const auto timeout = Milliseconds(std::chrono::seconds(setup.timeoutSeconds));
    try {
#ifdef USE_C10D_NCCL
        if (impl.device.is_cuda()) {
            auto options = c10d::ProcessGroupNCCL::Options::create();
            options->timeout = timeout;
            impl.ncclGroup = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl.store, setup.rank,
                                                                         setup.worldSize, options);
            impl.nccl = true;
        }
#endif
        if (!impl.nccl) {
            auto options = c10d::ProcessGroupGloo::Options::create(timeout);
            options->devices.push_back(glooDevice(setup));
            options->threads = 2;
            impl.gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(impl.store, setup.rank,
                                                                    setup.worldSize, options);
        }
    } catch (const std::exception& e) {
        throw UserError("rank " + std::to_string(setup.rank) +
                        " could not connect to the other processes: " + e.what());
    }
}

std::unique_ptr<ProcessGroupCollective>
ProcessGroupCollective::connect(const DistributedSetup& setup, c10::Device device) {
    muteLibraryLogs();
    resolveMasterAddress(setup);
    auto impl = std::make_unique<Impl>();
    impl->setup = setup;
    impl->device = device;
    impl->store = joinStore(setup);
    const std::string self = thisHostName() + ", pid " + std::to_string(::getpid());
    try {
        awaitEveryRank(*impl->store, setup, self);
    } catch (const UserError&) {
        throw;
    } catch (const std::exception& e) {
        const std::string cause = e.what();
        throw UserError("rank " + std::to_string(setup.rank) + ": the rendezvous at " +
                        rendezvousPlace(setup) + " failed: " + cause.substr(0, cause.find('\n')));
    }
    impl->hosts.resize(static_cast<size_t>(setup.worldSize));
    impl->identities.resize(static_cast<size_t>(setup.worldSize));
    for (int r = 0; r < setup.worldSize; ++r) {
        const auto id = text(impl->store->get("identity/" + std::to_string(r)));
        impl->identities[static_cast<size_t>(r)] = id;
        impl->hosts[static_cast<size_t>(r)] = id.substr(0, id.find(", pid "));
    }
    createProcessGroup(*impl);
    return std::unique_ptr<ProcessGroupCollective>(new ProcessGroupCollective(std::move(impl)));
}

ProcessGroupCollective::ProcessGroupCollective(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl)) {}

ProcessGroupCollective::~ProcessGroupCollective() = default;

int ProcessGroupCollective::rank() const {
    return m_impl->setup.rank;
}

int ProcessGroupCollective::worldSize() const {
    return m_impl->setup.worldSize;
}

void ProcessGroupCollective::allReduceSum(at::Tensor& tensor) {
    std::vector<at::Tensor> one{tensor};
    m_impl->run(one, [&](std::vector<at::Tensor>& t) { return m_impl->allReduce(t); });
}

void ProcessGroupCollective::allReduceMax(at::Tensor& tensor) {
    std::vector<at::Tensor> one{tensor};
    m_impl->run(
        one, [&](std::vector<at::Tensor>& t) { return m_impl->allReduce(t, c10d::ReduceOp::MAX); });
}

namespace {

class WorkReduction : public PendingReduction {
public:
    WorkReduction(ProcessGroupCollective::Impl& impl, at::Tensor tensor)
        : m_impl(impl)
        , m_tensors{std::move(tensor)} {
        try {
            m_work = m_impl.allReduce(m_tensors);
        } catch (const std::exception& e) {
            throw UserError(m_impl.diagnose(e.what()));
        }
    }
    void wait() override {
        try {
            m_work->wait();
        } catch (const std::exception& e) {
            throw UserError(m_impl.diagnose(e.what()));
        }
    }

private:
    ProcessGroupCollective::Impl& m_impl;
    std::vector<at::Tensor> m_tensors;
    c10::intrusive_ptr<c10d::Work> m_work;
};

} // namespace

std::unique_ptr<PendingReduction> ProcessGroupCollective::allReduceSumAsync(at::Tensor& tensor) {
    if (m_impl->nccl && !tensor.is_cuda())
        return Collective::allReduceSumAsync(tensor);
    return std::make_unique<WorkReduction>(*m_impl, tensor);
}

void ProcessGroupCollective::broadcast(at::Tensor& tensor) {
    std::vector<at::Tensor> one{tensor};
    m_impl->run(one, [&](std::vector<at::Tensor>& t) { return m_impl->broadcast(t); });
}

std::unique_ptr<Collective> ProcessGroupCollective::subgroup(int size) {
    const DistributedSetup& setup = m_impl->setup;
    if (size < 1 || setup.worldSize % size != 0)
        throw UserError("groups of " + std::to_string(size) + " processes cannot divide " +
                        std::to_string(setup.worldSize));
    const int group = setup.rank / size;
    auto impl = std::make_unique<Impl>();
    impl->setup = setup;
    impl->setup.rank = setup.rank % size;
    impl->setup.worldSize = size;
    impl->device = m_impl->device;
    impl->store = c10::make_intrusive<c10d::PrefixStore>(
        "groups-of-" + std::to_string(size) + "/" + std::to_string(group), m_impl->store);
    for (int r = group * size; r < (group + 1) * size; ++r) {
        impl->hosts.push_back(m_impl->hosts[static_cast<size_t>(r)]);
        impl->identities.push_back(m_impl->identities[static_cast<size_t>(r)]);
    }
    createProcessGroup(*impl);
    return std::unique_ptr<Collective>(new ProcessGroupCollective(std::move(impl)));
}

void ProcessGroupCollective::noteProgress(int64_t step) {
    m_impl->store->set("progress/" + std::to_string(m_impl->setup.rank),
                       bytes(std::to_string(step)));
}

std::string ProcessGroupCollective::describeRank(int rank) const {
    return m_impl->describe(rank);
}

std::string ProcessGroupCollective::backendName() const {
    return m_impl->nccl ? "nccl" : "gloo";
}

std::vector<std::string> ProcessGroupCollective::hosts() const {
    return m_impl->hosts;
}

void ProcessGroupCollective::publish(const std::string& key, const std::string& value) {
    m_impl->store->set("value/" + key, bytes(value));
}

void ProcessGroupCollective::finishSetup() {
    m_impl->store->setTimeout(Milliseconds(std::chrono::seconds(m_impl->setup.timeoutSeconds)));
}

std::string ProcessGroupCollective::lookup(const std::string& key) {
    try {
        return text(m_impl->store->get("value/" + key));
    } catch (const std::exception& e) {
        throw UserError(m_impl->diagnose(e.what()));
    }
}

} // namespace swav

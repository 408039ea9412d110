// Data-parallel training: the launch from torchrun's environment, and the c10d process group
// (libtorch's TCPStore for the rendezvous, ProcessGroupGloo or ProcessGroupNCCL for collectives).
#include "train/distributed.hpp"

#include <cstdlib>
#include <sstream>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef CONTINUO_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef CONTINUO_HAVE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "continuo/error.hpp"

namespace continuo::train {

namespace {

// The bucket size PyTorch's DistributedDataParallel uses: large enough that a collective's fixed
// cost is small beside its bytes, small enough that the copies in and out stay cheap.
constexpr int64_t kBucketBytes = 25 << 20;

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

long env_long(const char* name, long fallback, long lo, long hi) {
  const char* v = env(name);
  if (!v) return fallback;
  char* end = nullptr;
  long x = std::strtol(v, &end, 10);
  if (*end || x < lo || x > hi)
    throw Error(ErrorCode::kInvalidArgument, std::string(name) + "=" + v + ": expected a whole number from " +
                                                 std::to_string(lo) + " to " + std::to_string(hi));
  return x;
}

[[noreturn]] void lost_contact(const Launch& l, const std::string& what, const std::exception& e) {
  // libtorch's messages go on with a stack trace after their first line: the line is enough
  std::string why = e.what();
  why = why.substr(0, why.find('\n'));
  throw Error(ErrorCode::kIo, "data-parallel training, rank " + std::to_string(l.rank) + " of " +
                                  std::to_string(l.world) + ": " + what + " failed (" + why +
                                  "); another rank has probably stopped. Start the job again: it "
                                  "resumes from the last checkpoint");
}

}  // namespace

Launch launch_from_env() {
  Launch l;
  l.world = int(env_long("WORLD_SIZE", 1, 1, 1 << 20));
  if (l.world == 1) return l;
  l.rank = int(env_long("RANK", -1, 0, l.world - 1));
  if (l.rank < 0) throw Error(ErrorCode::kInvalidArgument, "WORLD_SIZE is set but RANK is not");
  l.local_rank = int(env_long("LOCAL_RANK", 0, 0, 1 << 20));
  const char* addr = env("MASTER_ADDR");
  if (!addr) throw Error(ErrorCode::kInvalidArgument, "WORLD_SIZE is set but MASTER_ADDR is not");
  l.master_addr = addr;
  l.master_port = int(env_long("MASTER_PORT", -1, 1, 65535));
  if (l.master_port < 0) throw Error(ErrorCode::kInvalidArgument, "WORLD_SIZE is set but MASTER_PORT is not");
  const char* agent = env("TORCHELASTIC_USE_AGENT_STORE");
  l.agent_store = agent && std::string(agent) == "True";
  if (const char* r = env("TORCHELASTIC_RESTART_COUNT")) l.restart_count = r;
  l.timeout = std::chrono::seconds(env_long("CONTINUO_DIST_TIMEOUT", 1800, 1, 7 * 24 * 3600));
  return l;
}

struct DataParallel::Group {
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
};

namespace {

// The rendezvous store, as torch.distributed's env:// does it: under torchrun the agent serves it
// and the workers are its clients; otherwise rank 0 serves it.
c10::intrusive_ptr<c10d::Store> make_store(const Launch& l) {
  c10d::TCPStoreOptions o;
  o.port = uint16_t(l.master_port);
  o.isServer = !l.agent_store && l.rank == 0;
  // No separate wait for all ranks here: joining the Gloo or NCCL group waits for them anyway
  // (with the timeout), and libtorch 1.13's wait loop (TCPStore::waitForWorkers) hung now and
  // then when the ranks started at the same moment (tests/scripts/test_train_distributed.py).
  o.waitWorkers = false;
  o.timeout = l.timeout;
  auto tcp = c10::make_intrusive<c10d::TCPStore>(l.master_addr, o);
  const std::string prefix = l.agent_store ? "/worker/attempt_" + l.restart_count : "continuo";
  return c10::make_intrusive<c10d::PrefixStore>(prefix, tcp);
}

#ifdef CONTINUO_HAVE_GLOO
c10::intrusive_ptr<c10d::ProcessGroup> make_gloo(const c10::intrusive_ptr<c10d::Store>& store, const Launch& l) {
  auto o = c10d::ProcessGroupGloo::Options::create(l.timeout);
  // GLOO_SOCKET_IFNAME names the network interfaces to use, as in PyTorch; else the one the
  // host name resolves to (loopback for a single machine).
  if (const char* ifs = env("GLOO_SOCKET_IFNAME")) {
    std::istringstream names(ifs);
    for (std::string name; std::getline(names, name, ',');)
      o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(name));
  } else {
    o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  }
  o->threads = 2;   // PyTorch's default
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, l.rank, l.world, o);
}
#endif

#ifdef CONTINUO_HAVE_NCCL
c10::intrusive_ptr<c10d::ProcessGroup> make_nccl(const c10::intrusive_ptr<c10d::Store>& store, const Launch& l) {
  auto o = c10d::ProcessGroupNCCL::Options::create();
  o->timeout = l.timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, l.rank, l.world, o);
}
#endif

c10::intrusive_ptr<c10d::ProcessGroup> make_group(const c10::intrusive_ptr<c10d::Store>& store, const Launch& l,
                                                  const torch::Device& device) {
  if (device.is_cuda()) {
#ifdef CONTINUO_HAVE_NCCL
    return make_nccl(store, l);
#else
    throw Error(ErrorCode::kUnsupported,
                "data-parallel training on CUDA needs NCCL, and this continuo-torch was built without it "
                "(configure with -DCONTINUO_NCCL_INCLUDE=<folder of nccl.h>; scripts/train-gpu.sh does)");
#endif
  }
#ifdef CONTINUO_HAVE_GLOO
  return make_gloo(store, l);
#else
  throw Error(ErrorCode::kUnsupported,
              "data-parallel training on CPUs needs Gloo, and this continuo-torch was built without its "
              "headers (Debian: apt-get install libgloo-dev, then rebuild)");
#endif
}

void wait_all(const Launch& l, const std::string& what, std::vector<c10::intrusive_ptr<c10d::Work>>& works) {
  try {
    for (auto& w : works) w->wait();
  } catch (const std::exception& e) {
    lost_contact(l, what, e);
  }
}

}  // namespace

DataParallel::DataParallel(const Launch& launch, const torch::Device& device)
    : launch_(launch), device_(device), group_(std::make_unique<Group>()) {
  try {
    group_->pg = make_group(make_store(launch_), launch_, device_);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    lost_contact(launch_, "joining the process group at " + launch_.master_addr + ":" +
                              std::to_string(launch_.master_port), e);
  }
}

DataParallel::~DataParallel() = default;

BatchShare DataParallel::share(int batch) const {
  const int64_t b = batch, r = launch_.rank, w = launch_.world;
  const int first = int(r * b / w), end = int((r + 1) * b / w);
  return {first, end - first};
}

void DataParallel::broadcast(const std::vector<torch::Tensor>& tensors) {
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  try {
    for (const auto& t : tensors) {
      std::vector<at::Tensor> one = {t};
      works.push_back(group_->pg->broadcast(one, c10d::BroadcastOptions{}));
    }
  } catch (const std::exception& e) {
    lost_contact(launch_, "broadcasting the weights", e);
  }
  wait_all(launch_, "broadcasting the weights", works);
}

std::vector<double> DataParallel::sum(const std::vector<double>& values) {
  auto t = torch::tensor(values, torch::kFloat64).to(device_);   // [n]
  std::vector<at::Tensor> one = {t};
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  try {
    works.push_back(group_->pg->allreduce(one, c10d::AllreduceOptions{}));
  } catch (const std::exception& e) {
    lost_contact(launch_, "summing the losses", e);
  }
  wait_all(launch_, "summing the losses", works);
  t = t.cpu();
  return std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
}

void DataParallel::sum_gradients(const std::vector<torch::Tensor>& params) {
  // Which gradients exist anywhere: one small collective, so that every rank gives the optimiser
  // the same set of them.
  std::vector<double> has(params.size());
  for (size_t i = 0; i < params.size(); ++i) has[i] = params[i].grad().defined() ? 1 : 0;
  has = sum(has);
  std::vector<torch::Tensor> grads;
  for (size_t i = 0; i < params.size(); ++i) {
    if (has[i] == 0) continue;
    auto p = params[i];
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
  }
  // Buckets of consecutive gradients of one dtype, flattened into one buffer each; all of them
  // in flight at once, then each copied back.
  std::vector<std::pair<size_t, size_t>> spans;   // [begin, end) into grads
  for (size_t i = 0; i < grads.size();) {
    size_t j = i;
    int64_t bytes = 0;
    while (j < grads.size() && grads[j].scalar_type() == grads[i].scalar_type() &&
           (j == i || bytes + grads[j].nbytes() <= size_t(kBucketBytes)))
      bytes += int64_t(grads[j++].nbytes());
    spans.emplace_back(i, j);
    i = j;
  }
  std::vector<torch::Tensor> flats;
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  try {
    for (auto [b, e] : spans) {
      std::vector<torch::Tensor> parts;
      for (size_t k = b; k < e; ++k) parts.push_back(grads[k].reshape({-1}));
      std::vector<at::Tensor> one = {torch::cat(parts)};   // [sum of numels]
      works.push_back(group_->pg->allreduce(one, c10d::AllreduceOptions{}));
      flats.push_back(one[0]);
    }
  } catch (const std::exception& e) {
    lost_contact(launch_, "summing the gradients", e);
  }
  wait_all(launch_, "summing the gradients", works);
  for (size_t s = 0; s < spans.size(); ++s) {
    int64_t offset = 0;
    for (size_t k = spans[s].first; k < spans[s].second; ++k) {
      const int64_t n = grads[k].numel();
      grads[k].copy_(flats[s].slice(0, offset, offset + n).view_as(grads[k]));
      offset += n;
    }
  }
}

}  // namespace continuo::train

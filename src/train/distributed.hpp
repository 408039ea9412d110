// Data-parallel training on libtorch's own c10d process groups (Gloo on CPUs, NCCL on CUDA GPUs),
// launched by `torchrun` or by anything that sets the same environment variables
// (docs/TRAINING.md). Everything that crosses processes goes through the process group: no
// communication code of our own.
//
//   Launch l = launch_from_env();          // RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, ...
//   if (l.world > 1) {
//     DataParallel dp(l, device);          // joins the group (blocks until every rank has)
//     dp.broadcast(params);                // rank 0's weights everywhere
//     auto rows = dp.share(batch);         // this rank's sequences of each global batch
//     ... backward ...; dp.sum_gradients(params);
//   }
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "train/batcher.hpp"

namespace continuo::train {

// Where this process stands in a job.
struct Launch {
  int rank = 0, world = 1, local_rank = 0;
  std::string master_addr;
  int master_port = 0;
  // torchrun's agent already serves the rendezvous store on MASTER_PORT; the workers of each
  // restart (TORCHELASTIC_RESTART_COUNT) keep their keys apart under their own prefix.
  bool agent_store = false;
  std::string restart_count = "0";
  // How long a collective (or joining the group) waits for the others before failing: a rank
  // that died or hangs must stop the job with an error, not freeze it.
  std::chrono::seconds timeout{1800};
};

// The launch torchrun describes: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT,
// TORCHELASTIC_USE_AGENT_STORE, TORCHELASTIC_RESTART_COUNT, and CONTINUO_DIST_TIMEOUT (seconds,
// default 1800). Without WORLD_SIZE, or with WORLD_SIZE=1: world 1, one process as always.
// Error(kInvalidArgument) for a malformed or inconsistent variable.
Launch launch_from_env();

// One rank of a data-parallel job.
class DataParallel {
 public:
  // Joins the process group of `launch` for tensors on `device`: Gloo for the CPU, NCCL for
  // CUDA. Error(kUnsupported) when this build has neither for that device.
  DataParallel(const Launch& launch, const torch::Device& device);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int rank() const { return launch_.rank; }
  int world() const { return launch_.world; }

  // This rank's sequences of a global batch of `batch`: rank r takes [r*B/W, (r+1)*B/W), so the
  // shares are contiguous, in rank order, and together the whole batch.
  BatchShare share(int batch) const;

  // Rank 0's values of `tensors` on every rank (in place).
  void broadcast(const std::vector<torch::Tensor>& tensors);
  // Replaces the gradient of each parameter by its sum over the ranks, in buckets of about
  // 25 MB (one collective per bucket, not per tensor). A gradient that no rank has (the
  // parameter took no part anywhere) stays undefined, as in one process, so that the optimiser
  // skips it alike; one that only some ranks have counts as zero on the others.
  void sum_gradients(const std::vector<torch::Tensor>& params);
  // Element-wise sums over the ranks of a few numbers (losses, counts).
  std::vector<double> sum(const std::vector<double>& values);

 private:
  struct Group;
  Launch launch_;
  torch::Device device_;
  std::unique_ptr<Group> group_;
};

}  // namespace continuo::train

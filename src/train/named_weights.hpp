// train/named_weights.hpp: libtorch module parameters <-> model::Weights under exported names,
// shared by the small networks' trainers (drums_train.cpp, vae_train.cpp).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "continuo/error.hpp"
#include "continuo/model.hpp"

namespace continuo::train {

using ExportName = std::function<std::string(const std::string& torch_name)>;

// Every parameter as fp32, named by `name(torch name)`.
inline model::Weights export_named(torch::nn::Module& net, const ExportName& name) {
  model::Weights w;
  for (auto& p : net.named_parameters()) {
    auto t = p.value().detach().to(torch::kFloat32).contiguous();
    model::Tensor out;
    out.shape.assign(t.sizes().begin(), t.sizes().end());
    out.data.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    w[name(p.key())] = std::move(out);
  }
  return w;
}

// Copies `w` into the parameters; throws kCorruptData for a missing tensor or a wrong shape.
inline void import_named(torch::nn::Module& net, const model::Weights& w, const ExportName& name) {
  torch::NoGradGuard ng;
  for (auto& p : net.named_parameters()) {
    const std::string n = name(p.key());
    auto it = w.find(n);
    if (it == w.end()) throw Error(ErrorCode::kCorruptData, "weights lack tensor '" + n + "'");
    std::vector<int64_t> shape(p.value().sizes().begin(), p.value().sizes().end());
    if (shape != it->second.shape) throw Error(ErrorCode::kCorruptData, "tensor '" + n + "' has the wrong shape");
    p.value().copy_(torch::from_blob(const_cast<float*>(it->second.data.data()), p.value().sizes(), torch::kFloat32));
  }
}

}  // namespace continuo::train

// audio/tfjs_graph.hpp: a small interpreter for TensorFlow.js graph models (model.json + .bin
// weight shards), for exactly the ops that basic-pitch's graph uses.
//
//   tfjs::Graph g = tfjs::Graph::load("models/basic-pitch");
//   tfjs::Tensor in = tfjs::Tensor::floats({1, 43844, 1}, samples);
//   auto out = g.run(in, {"Identity", "Identity_1"});   // float tensors, by node name
//
// Why an interpreter and not a hard-coded network: the graph holds the constant-Q front end as
// ~60 small ops (reflection pads, strided 1-D convolutions, transposes, stacking, log scaling);
// running the graph as written reproduces the reference's arithmetic order, and the weights and
// the wiring both come from the file, so nothing can silently drift from the model.
// Tensors are row-major; convolutions are NHWC with HWIO filters, as in TensorFlow.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace continuo::audio::tfjs {

struct Tensor {
  std::vector<int64_t> shape;
  bool is_int = false;
  std::vector<float> f;     // when !is_int
  std::vector<int32_t> i;   // when is_int

  static Tensor floats(std::vector<int64_t> shape, std::vector<float> values);
  static Tensor ints(std::vector<int64_t> shape, std::vector<int32_t> values);
  int64_t size() const;
  int rank() const { return int(shape.size()); }
};

struct Node;

class Graph {
 public:
  // Reads <dir>/model.json and its weight shards. Throws kNotFound / kCorruptData / kUnsupported
  // (an op this interpreter does not know).
  static Graph load(const std::string& dir);
  Graph();
  ~Graph();
  Graph(Graph&&) noexcept;
  Graph& operator=(Graph&&) noexcept;

  // Feeds the single Placeholder and evaluates the named nodes.
  std::vector<Tensor> run(const Tensor& input, const std::vector<std::string>& outputs) const;
  // The name of the node an Identity output reads from (to tell the outputs apart).
  std::string input_of(const std::string& node) const;

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
  std::unordered_map<std::string, int> index_;
  std::unordered_map<std::string, Tensor> consts_;
  int placeholder_ = -1;
};

}  // namespace continuo::audio::tfjs

// audio/tfjs_graph.cpp: the TensorFlow.js graph interpreter (see tfjs_graph.hpp).
#include "audio/tfjs_graph.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

#include <nlohmann/json.hpp>

#include "audio/conv2d.hpp"
#include "continuo/error.hpp"

namespace continuo::audio::tfjs {

using json = nlohmann::json;

struct Node {
  std::string name, op;
  std::vector<int> inputs;   // node indices
  json attr;
};

namespace {

[[noreturn]] void corrupt(const std::string& what) { throw Error(ErrorCode::kCorruptData, "TF.js model: " + what); }

std::string base64_decode(const std::string& s) {
  static const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (char c : s) {
    const size_t k = chars.find(c);
    if (k == std::string::npos) break;   // '=' padding ends the data
    val = (val << 6) | int(k);
    bits += 6;
    if (bits >= 0) {
      out.push_back(char((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

int64_t attr_int(const json& attr, const char* key, int64_t fallback = 0) {
  if (!attr.contains(key) || !attr[key].contains("i")) return fallback;
  const auto& v = attr[key]["i"];
  return v.is_string() ? std::stoll(v.get<std::string>()) : v.get<int64_t>();
}
std::vector<int64_t> attr_ints(const json& attr, const char* key) {
  std::vector<int64_t> out;
  if (!attr.contains(key) || !attr[key].contains("list") || !attr[key]["list"].contains("i")) return out;
  for (const auto& v : attr[key]["list"]["i"]) out.push_back(v.is_string() ? std::stoll(v.get<std::string>()) : v.get<int64_t>());
  return out;
}
std::string attr_str(const json& attr, const char* key) {
  if (!attr.contains(key) || !attr[key].contains("s")) return {};
  return base64_decode(attr[key]["s"].get<std::string>());
}
std::vector<std::string> attr_strs(const json& attr, const char* key) {
  std::vector<std::string> out;
  if (!attr.contains(key) || !attr[key].contains("list") || !attr[key]["list"].contains("s")) return out;
  for (const auto& v : attr[key]["list"]["s"]) out.push_back(base64_decode(v.get<std::string>()));
  return out;
}

std::vector<int64_t> strides_of(const std::vector<int64_t>& shape) {
  std::vector<int64_t> st(shape.size(), 1);
  for (int d = int(shape.size()) - 2; d >= 0; --d) st[size_t(d)] = st[size_t(d) + 1] * shape[size_t(d) + 1];
  return st;
}

int norm_axis(int64_t axis, int rank) {
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) throw Error(ErrorCode::kCorruptData, "TF.js model: axis out of range");
  return int(axis);
}

std::vector<int64_t> as_ints(const Tensor& t) {
  if (!t.is_int) corrupt("expected an int32 tensor");
  return std::vector<int64_t>(t.i.begin(), t.i.end());
}

// The common core of Transpose, Pad, MirrorPad and StridedSlice: out[idx] = src[sum_d table_d[idx_d] *
// stride_d], or zero where some table_d[idx_d] is -1. The per-axis tables make every one of those
// ops a lookup per axis, walked with an odometer.
struct AxisMap {
  std::vector<int64_t> source;   // [out extent] source index along the axis, -1 = zero
  int64_t stride = 0;            // source stride of that axis
};

template <typename T>
void gather(const std::vector<T>& src, std::vector<T>& dst, const std::vector<AxisMap>& axes) {
  const size_t rank = axes.size();
  int64_t n = 1;
  for (const auto& a : axes) n *= int64_t(a.source.size());
  dst.assign(size_t(n), T{});
  if (n == 0) return;
  std::vector<int64_t> idx(rank, 0), part(rank + 1, 0);   // part[d]: offset of axes < d
  std::vector<int> zeros(rank + 1, 0);                    // zeros[d]: zero lookups among axes < d
  auto refresh = [&](size_t from) {
    for (size_t d = from; d < rank; ++d) {
      const int64_t s = axes[d].source[size_t(idx[d])];
      zeros[d + 1] = zeros[d] + (s < 0);
      part[d + 1] = part[d] + (s < 0 ? 0 : s * axes[d].stride);
    }
  };
  refresh(0);
  for (int64_t k = 0;;) {
    if (zeros[rank] == 0) dst[size_t(k)] = src[size_t(part[rank])];
    if (++k == n) break;
    size_t d = rank;
    while (d-- > 0) {
      if (++idx[d] < int64_t(axes[d].source.size())) break;
      idx[d] = 0;
    }
    refresh(d);
  }
}

Tensor gather_tensor(const Tensor& x, const std::vector<AxisMap>& axes) {
  Tensor y;
  for (const auto& a : axes) y.shape.push_back(int64_t(a.source.size()));
  y.is_int = x.is_int;
  if (x.is_int) gather(x.i, y.i, axes);
  else gather(x.f, y.f, axes);
  return y;
}

AxisMap identity_axis(int64_t extent, int64_t stride) {
  AxisMap a;
  a.stride = stride;
  for (int64_t i = 0; i < extent; ++i) a.source.push_back(i);
  return a;
}

Tensor transpose(const Tensor& x, const std::vector<int64_t>& perm) {
  if (int(perm.size()) != x.rank()) corrupt("Transpose: bad permutation");
  const auto st = strides_of(x.shape);
  std::vector<AxisMap> axes;
  for (int64_t p : perm) axes.push_back(identity_axis(x.shape[size_t(p)], st[size_t(p)]));
  return gather_tensor(x, axes);
}

// Pad (zeros) or MirrorPad (REFLECT: the edge sample is not repeated).
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, bool reflect) {
  if (int(pads.size()) != 2 * x.rank()) corrupt("Pad: bad paddings");
  const auto st = strides_of(x.shape);
  std::vector<AxisMap> axes(size_t(x.rank()));
  for (size_t d = 0; d < axes.size(); ++d) {
    const int64_t n = x.shape[d], before = pads[2 * d], after = pads[2 * d + 1];
    axes[d].stride = st[d];
    for (int64_t i = -before; i < n + after; ++i) {
      int64_t j = i;
      if (j < 0 || j >= n) {
        if (reflect) {
          j = j < 0 ? -j : 2 * (n - 1) - j;
          if (j < 0 || j >= n) corrupt("MirrorPad: padding wider than the tensor");
        } else {
          j = -1;
        }
      }
      axes[d].source.push_back(j);
    }
  }
  return gather_tensor(x, axes);
}

// StridedSlice without ellipsis: each spec entry is a new axis or slices one input axis.
Tensor strided_slice(const Tensor& x, const Node& n, const std::vector<int64_t>& begin,
                     const std::vector<int64_t>& end, const std::vector<int64_t>& stride) {
  const int64_t begin_mask = attr_int(n.attr, "begin_mask"), end_mask = attr_int(n.attr, "end_mask");
  const int64_t shrink = attr_int(n.attr, "shrink_axis_mask"), new_axis = attr_int(n.attr, "new_axis_mask");
  if (attr_int(n.attr, "ellipsis_mask") != 0) throw Error(ErrorCode::kUnsupported, "TF.js model: StridedSlice with an ellipsis");
  struct Axis { int in_dim; int64_t start, step, count; bool keep; };
  std::vector<Axis> axes;
  int in_dim = 0;
  for (size_t j = 0; j < begin.size(); ++j) {
    if (new_axis >> j & 1) {
      axes.push_back({-1, 0, 0, 1, true});
      continue;
    }
    if (in_dim >= x.rank()) corrupt("StridedSlice: too many axes");
    const int64_t dim = x.shape[size_t(in_dim)], s = stride[j];
    if (s == 0) corrupt("StridedSlice: zero stride");
    int64_t b = begin[j], e = end[j];
    if (shrink >> j & 1) {
      if (b < 0) b += dim;
      axes.push_back({in_dim++, b, 1, 1, false});
      continue;
    }
    if (begin_mask >> j & 1) b = s > 0 ? 0 : dim - 1;
    else {
      if (b < 0) b += dim;
      b = s > 0 ? std::clamp<int64_t>(b, 0, dim) : std::clamp<int64_t>(b, -1, dim - 1);
    }
    if (end_mask >> j & 1) e = s > 0 ? dim : -1;
    else {
      if (e < 0) e += dim;
      e = s > 0 ? std::clamp<int64_t>(e, 0, dim) : std::clamp<int64_t>(e, -1, dim - 1);
    }
    const int64_t count = s > 0 ? std::max<int64_t>(0, (e - b + s - 1) / s) : std::max<int64_t>(0, (b - e - s - 1) / -s);
    axes.push_back({in_dim++, b, s, count, true});
  }
  for (; in_dim < x.rank(); ++in_dim) axes.push_back({in_dim, 0, 1, x.shape[size_t(in_dim)], true});
  const auto st = strides_of(x.shape);
  std::vector<int64_t> out_shape;
  std::vector<AxisMap> maps;
  for (const auto& a : axes) {
    if (a.keep) out_shape.push_back(a.count);
    AxisMap m;
    m.stride = a.in_dim >= 0 ? st[size_t(a.in_dim)] : 0;
    for (int64_t i = 0; i < a.count; ++i) m.source.push_back(a.in_dim >= 0 ? a.start + i * a.step : 0);
    maps.push_back(std::move(m));
  }
  Tensor y = gather_tensor(x, maps);
  y.shape = out_shape;
  return y;
}

Tensor concat(const std::vector<const Tensor*>& xs, int64_t axis_attr) {
  const Tensor& a = *xs[0];
  const int axis = norm_axis(axis_attr, a.rank());
  std::vector<int64_t> shape(a.shape);
  shape[size_t(axis)] = 0;
  for (const Tensor* x : xs) {
    if (x->rank() != a.rank() || x->is_int != a.is_int) corrupt("Concat: mismatched inputs");
    shape[size_t(axis)] += x->shape[size_t(axis)];
  }
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= a.shape[size_t(d)];
  for (int d = axis + 1; d < a.rank(); ++d) inner *= a.shape[size_t(d)];
  Tensor y;
  y.shape = shape;
  y.is_int = a.is_int;
  int64_t total = 1;
  for (int64_t d : shape) total *= d;
  if (a.is_int) y.i.resize(size_t(total));
  else y.f.resize(size_t(total));
  int64_t at = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (const Tensor* x : xs) {
      const int64_t len = x->shape[size_t(axis)] * inner;
      // element by element: the runs are often a single value (stacking along the last axis)
      if (a.is_int)
        for (int64_t k = 0; k < len; ++k) y.i[size_t(at + k)] = x->i[size_t(o * len + k)];
      else
        for (int64_t k = 0; k < len; ++k) y.f[size_t(at + k)] = x->f[size_t(o * len + k)];
      at += len;
    }
  return y;
}

// Pack: stacks equal-shaped tensors along a new axis.
Tensor pack(const std::vector<const Tensor*>& xs, int64_t axis_attr) {
  const int rank = xs[0]->rank() + 1;
  const int axis = norm_axis(axis_attr, rank);
  std::vector<const Tensor*> parts;
  std::vector<Tensor> expanded;
  expanded.reserve(xs.size());
  for (const Tensor* x : xs) {
    Tensor e = *x;
    e.shape.insert(e.shape.begin() + axis, 1);
    expanded.push_back(std::move(e));
  }
  for (const auto& e : expanded) parts.push_back(&e);
  return concat(parts, axis);
}

// Elementwise binary op with numpy broadcasting (float tensors).
template <typename Op>
Tensor broadcast(const Tensor& a, const Tensor& b, Op op) {
  if (a.is_int || b.is_int) throw Error(ErrorCode::kUnsupported, "TF.js model: integer arithmetic");
  const int rank = std::max(a.rank(), b.rank());
  std::vector<int64_t> sa(static_cast<size_t>(rank), 1), sb(static_cast<size_t>(rank), 1), shape(static_cast<size_t>(rank));
  for (int d = 0; d < a.rank(); ++d) sa[size_t(rank - a.rank() + d)] = a.shape[size_t(d)];
  for (int d = 0; d < b.rank(); ++d) sb[size_t(rank - b.rank() + d)] = b.shape[size_t(d)];
  for (int d = 0; d < rank; ++d) {
    if (sa[size_t(d)] != sb[size_t(d)] && sa[size_t(d)] != 1 && sb[size_t(d)] != 1) corrupt("shapes do not broadcast");
    shape[size_t(d)] = std::max(sa[size_t(d)], sb[size_t(d)]);
  }
  auto sta = strides_of(sa), stb = strides_of(sb);
  for (int d = 0; d < rank; ++d) {
    if (sa[size_t(d)] == 1) sta[size_t(d)] = 0;
    if (sb[size_t(d)] == 1) stb[size_t(d)] = 0;
  }
  Tensor y;
  y.shape = shape;
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  y.f.resize(size_t(n));
  std::vector<int64_t> idx(size_t(rank), 0);
  int64_t ia = 0, ib = 0;
  for (int64_t k = 0; k < n; ++k) {
    y.f[size_t(k)] = op(a.f[size_t(ia)], b.f[size_t(ib)]);
    for (int d = rank - 1; d >= 0; --d) {
      ia += sta[size_t(d)];
      ib += stb[size_t(d)];
      if (++idx[size_t(d)] < shape[size_t(d)]) break;
      ia -= sta[size_t(d)] * shape[size_t(d)];
      ib -= stb[size_t(d)] * shape[size_t(d)];
      idx[size_t(d)] = 0;
    }
  }
  return y;
}

Tensor unary(Tensor x, float (*op)(float)) {
  for (float& v : x.f) v = op(v);
  return x;
}

// Sum / Min / Max over the given axes, keep_dims false.
Tensor reduce(const Tensor& x, std::vector<int64_t> axes, int kind) {
  std::vector<bool> reduced(size_t(x.rank()), false);
  for (int64_t a : axes) reduced[size_t(norm_axis(a, x.rank()))] = true;
  std::vector<int64_t> out_shape, keep_shape(x.shape);
  for (int d = 0; d < x.rank(); ++d) {
    if (reduced[size_t(d)]) keep_shape[size_t(d)] = 1;
    else out_shape.push_back(x.shape[size_t(d)]);
  }
  const auto st_out = strides_of(keep_shape);
  int64_t n_out = 1;
  for (int64_t d : keep_shape) n_out *= d;
  const float init = kind == 0 ? 0.0f : kind == 1 ? INFINITY : -INFINITY;
  Tensor y;
  y.shape = out_shape;
  y.f.assign(size_t(n_out), init);
  std::vector<int64_t> idx(size_t(x.rank()), 0);
  for (int64_t k = 0; k < x.size(); ++k) {
    int64_t o = 0;
    for (int d = 0; d < x.rank(); ++d)
      if (!reduced[size_t(d)]) o += idx[size_t(d)] * st_out[size_t(d)];
    float& acc = y.f[size_t(o)];
    const float v = x.f[size_t(k)];
    acc = kind == 0 ? acc + v : kind == 1 ? std::min(acc, v) : std::max(acc, v);
    for (int d = x.rank() - 1; d >= 0; --d) {
      if (++idx[size_t(d)] < x.shape[size_t(d)]) break;
      idx[size_t(d)] = 0;
    }
  }
  return y;
}

Tensor reshape(Tensor x, const std::vector<int64_t>& spec) {
  std::vector<int64_t> shape(spec);
  int64_t known = 1;
  int unknown = -1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == -1) unknown = int(d);
    else known *= shape[d];
  }
  if (unknown >= 0) shape[size_t(unknown)] = known > 0 ? x.size() / known : 0;
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  if (n != x.size()) corrupt("Reshape: element count changes");
  x.shape = shape;
  return x;
}

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor* bias, const Node& n, bool relu) {
  if (x.rank() != 4 || w.rank() != 4 || x.shape[3] != w.shape[2]) corrupt("Conv2D: bad shapes in " + n.name);
  const auto strides = attr_ints(n.attr, "strides");
  const auto dil = attr_ints(n.attr, "dilations");
  if (strides.size() != 4 || (!dil.empty() && (dil[1] != 1 || dil[2] != 1)))
    throw Error(ErrorCode::kUnsupported, "TF.js model: dilated convolution");
  const std::string padding = attr_str(n.attr, "padding");
  if (padding != "SAME" && padding != "VALID") throw Error(ErrorCode::kUnsupported, "TF.js model: padding " + padding);
  ConvShape c;
  c.batch = x.shape[0];
  c.in_h = x.shape[1];
  c.in_w = x.shape[2];
  c.in_c = x.shape[3];
  c.k_h = w.shape[0];
  c.k_w = w.shape[1];
  c.out_c = w.shape[3];
  c.stride_h = strides[1];
  c.stride_w = strides[2];
  auto same = [](int64_t in, int64_t k, int64_t s, int64_t& out, int64_t& before) {
    out = (in + s - 1) / s;
    before = std::max<int64_t>((out - 1) * s + k - in, 0) / 2;
  };
  if (padding == "SAME") {
    same(c.in_h, c.k_h, c.stride_h, c.out_h, c.pad_top);
    same(c.in_w, c.k_w, c.stride_w, c.out_w, c.pad_left);
  } else {
    c.out_h = (c.in_h - c.k_h) / c.stride_h + 1;
    c.out_w = (c.in_w - c.k_w) / c.stride_w + 1;
  }
  if (c.out_h <= 0 || c.out_w <= 0) corrupt("Conv2D: input smaller than the kernel in " + n.name);
  Tensor y;
  y.shape = {c.batch, c.out_h, c.out_w, c.out_c};
  y.f.resize(size_t(y.size()));
  conv2d_nhwc(c, x.f.data(), w.f.data(), bias ? bias->f.data() : nullptr, relu, y.f.data());
  return y;
}

float neg(float v) { return -v; }
float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }
float square(float v) { return v * v; }
float sqrt_f(float v) { return std::sqrt(v); }
float log_f(float v) { return std::log(v); }

}  // namespace

Tensor Tensor::floats(std::vector<int64_t> shape, std::vector<float> values) {
  Tensor t;
  t.shape = std::move(shape);
  t.f = std::move(values);
  if (int64_t(t.f.size()) != t.size()) throw Error(ErrorCode::kInternal, "tensor size does not match its shape");
  return t;
}
Tensor Tensor::ints(std::vector<int64_t> shape, std::vector<int32_t> values) {
  Tensor t;
  t.shape = std::move(shape);
  t.is_int = true;
  t.i = std::move(values);
  return t;
}
int64_t Tensor::size() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Graph::Graph() = default;
Graph::~Graph() = default;
Graph::Graph(Graph&&) noexcept = default;
Graph& Graph::operator=(Graph&&) noexcept = default;

Graph Graph::load(const std::string& dir) {
  namespace fs = std::filesystem;
  const fs::path json_path = fs::path(dir) / "model.json";
  std::ifstream jf(json_path);
  if (!jf) throw Error(ErrorCode::kNotFound, json_path.string() + ": no TF.js model here");
  json m;
  try {
    jf >> m;
  } catch (const json::exception& e) {
    corrupt(json_path.string() + ": " + e.what());
  }
  Graph g;
  try {
    // weights: the shards of each group, concatenated, hold the tensors in manifest order
    for (const auto& group : m.at("weightsManifest")) {
      std::vector<char> bytes;
      for (const auto& p : group.at("paths")) {
        std::ifstream bf(fs::path(dir) / p.get<std::string>(), std::ios::binary);
        if (!bf) throw Error(ErrorCode::kNotFound, (fs::path(dir) / p.get<std::string>()).string() + ": weight shard missing");
        bytes.insert(bytes.end(), std::istreambuf_iterator<char>(bf), {});
      }
      size_t at = 0;
      for (const auto& w : group.at("weights")) {
        if (w.contains("quantization")) throw Error(ErrorCode::kUnsupported, "TF.js model: quantized weights");
        std::vector<int64_t> shape = w.at("shape").get<std::vector<int64_t>>();
        int64_t n = 1;
        for (int64_t d : shape) n *= d;
        const std::string dtype = w.at("dtype");
        if (at + size_t(n) * 4 > bytes.size()) corrupt("weight shard shorter than its manifest");
        Tensor t;
        t.shape = shape;
        if (dtype == "float32") {
          t.f.resize(size_t(n));
          std::memcpy(t.f.data(), bytes.data() + at, size_t(n) * 4);
        } else if (dtype == "int32") {
          t.is_int = true;
          t.i.resize(size_t(n));
          std::memcpy(t.i.data(), bytes.data() + at, size_t(n) * 4);
        } else {
          throw Error(ErrorCode::kUnsupported, "TF.js model: weight type " + dtype);
        }
        at += size_t(n) * 4;
        g.consts_[w.at("name")] = std::move(t);
      }
    }
    const auto& nodes = m.at("modelTopology").at("node");
    for (const auto& jn : nodes) {
      auto n = std::make_unique<Node>();
      n->name = jn.at("name");
      n->op = jn.at("op");
      if (jn.contains("attr")) n->attr = jn["attr"];
      g.index_[n->name] = int(g.nodes_.size());
      g.nodes_.push_back(std::move(n));
    }
    for (size_t k = 0; k < nodes.size(); ++k) {
      if (!nodes[k].contains("input")) continue;
      for (const auto& in : nodes[k]["input"]) {
        std::string name = in.get<std::string>();
        if (!name.empty() && name[0] == '^') continue;   // control dependency
        if (const auto colon = name.find(':'); colon != std::string::npos) name.resize(colon);
        const auto it = g.index_.find(name);
        if (it == g.index_.end()) corrupt("node " + g.nodes_[k]->name + " reads unknown node " + name);
        g.nodes_[k]->inputs.push_back(it->second);
      }
    }
  } catch (const json::exception& e) {
    corrupt(json_path.string() + ": " + e.what());
  }
  // the ops run() knows; anything else is refused now rather than halfway through a recording
  static const std::set<std::string> known = {
      "Const", "Placeholder", "Identity", "Shape", "StridedSlice", "Pack", "ConcatV2", "Reshape", "ExpandDims",
      "Squeeze", "Transpose", "Pad", "MirrorPad", "Conv2D", "_FusedConv2D", "Neg", "Sigmoid", "Square", "Sqrt",
      "Log", "Mul", "Add", "AddV2", "Sub", "DivNoNan", "Sum", "Min", "Max"};
  for (size_t k = 0; k < g.nodes_.size(); ++k) {
    const std::string& op = g.nodes_[k]->op;
    if (!known.count(op))
      throw Error(ErrorCode::kUnsupported, "TF.js model: op " + op + " (node " + g.nodes_[k]->name + ") is not supported");
    if (op == "Placeholder") g.placeholder_ = int(k);
    if (op == "Const" && !g.consts_.count(g.nodes_[k]->name)) corrupt("constant " + g.nodes_[k]->name + " has no weights");
  }
  if (g.placeholder_ < 0) corrupt("no input placeholder");
  return g;
}

std::string Graph::input_of(const std::string& node) const {
  const auto it = index_.find(node);
  if (it == index_.end() || nodes_[size_t(it->second)]->inputs.empty()) return {};
  return nodes_[size_t(nodes_[size_t(it->second)]->inputs[0])]->name;
}

std::vector<Tensor> Graph::run(const Tensor& input, const std::vector<std::string>& outputs) const {
  // evaluate what the outputs need, depth first, dropping each value after its last use
  std::vector<int> order, state(nodes_.size(), 0);
  std::function<void(int)> visit = [&](int k) {
    if (state[size_t(k)] == 2) return;
    if (state[size_t(k)] == 1) corrupt("the graph has a cycle");
    state[size_t(k)] = 1;
    for (int in : nodes_[size_t(k)]->inputs) visit(in);
    state[size_t(k)] = 2;
    order.push_back(k);
  };
  std::vector<int> wanted;
  for (const auto& name : outputs) {
    const auto it = index_.find(name);
    if (it == index_.end()) throw Error(ErrorCode::kCorruptData, "TF.js model: no output node " + name);
    wanted.push_back(it->second);
    visit(it->second);
  }
  std::vector<int> uses(nodes_.size(), 0);
  for (int k : order)
    for (int in : nodes_[size_t(k)]->inputs) ++uses[size_t(in)];
  for (int k : wanted) ++uses[size_t(k)];

  std::vector<Tensor> values(nodes_.size());
  std::vector<bool> borrowed(nodes_.size(), false);
  for (int k : order) {
    const Node& n = *nodes_[size_t(k)];
    std::vector<const Tensor*> in;
    for (int i : n.inputs) in.push_back(&values[size_t(i)]);
    for (const Tensor* t : in)
      if (t->shape.empty() && t->f.empty() && t->i.empty()) corrupt("node " + n.name + " reads an empty value");
    auto arg = [&](size_t i) -> const Tensor& {
      if (i >= in.size()) corrupt("node " + n.name + " has too few inputs");
      return *in[i];
    };
    // the input itself when this node is its last reader (reshapes and elementwise ops then work in
    // place instead of copying a large tensor)
    auto take = [&](size_t i) -> Tensor {
      const Tensor& t = arg(i);
      const int src = n.inputs[i];
      if (uses[size_t(src)] == 1) return std::move(values[size_t(src)]);
      return t;
    };
    Tensor out;
    const std::string& op = n.op;
    if (op == "Const") out = consts_.at(n.name);
    else if (op == "Placeholder") out = input;
    else if (op == "Identity") out = take(0);
    else if (op == "Shape") {
      std::vector<int32_t> dims(arg(0).shape.begin(), arg(0).shape.end());
      out = Tensor::ints({int64_t(dims.size())}, dims);
    } else if (op == "StridedSlice") out = strided_slice(arg(0), n, as_ints(arg(1)), as_ints(arg(2)), as_ints(arg(3)));
    else if (op == "Pack") out = pack(std::vector<const Tensor*>(in.begin(), in.end()), attr_int(n.attr, "axis"));
    else if (op == "ConcatV2") {
      const auto axis = as_ints(*in.back());
      out = concat(std::vector<const Tensor*>(in.begin(), in.end() - 1), axis.at(0));
    } else if (op == "Reshape") out = reshape(take(0), as_ints(arg(1)));
    else if (op == "ExpandDims") {
      out = take(0);
      const int axis = norm_axis(as_ints(arg(1)).at(0), out.rank() + 1);
      out.shape.insert(out.shape.begin() + axis, 1);
    } else if (op == "Squeeze") {
      out = take(0);
      auto dims = attr_ints(n.attr, "squeeze_dims");
      std::vector<bool> drop(size_t(out.rank()), false);
      for (int64_t d : dims) drop[size_t(norm_axis(d, out.rank()))] = true;
      std::vector<int64_t> shape;
      for (int d = 0; d < out.rank(); ++d)
        if (!(drop[size_t(d)] || (dims.empty() && out.shape[size_t(d)] == 1))) shape.push_back(out.shape[size_t(d)]);
      out.shape = shape;
    } else if (op == "Transpose") out = transpose(arg(0), as_ints(arg(1)));
    else if (op == "Pad") out = pad(arg(0), as_ints(arg(1)), false);
    else if (op == "MirrorPad") {
      if (attr_str(n.attr, "mode") != "REFLECT") throw Error(ErrorCode::kUnsupported, "TF.js model: MirrorPad mode");
      out = pad(arg(0), as_ints(arg(1)), true);
    } else if (op == "Conv2D") out = conv2d(arg(0), arg(1), nullptr, n, false);
    else if (op == "_FusedConv2D") {
      const auto fused = attr_strs(n.attr, "fused_ops");
      const bool relu = fused.size() == 2 && fused[1] == "Relu";
      if (fused.empty() || fused[0] != "BiasAdd" || (fused.size() == 2 && !relu) || fused.size() > 2)
        throw Error(ErrorCode::kUnsupported, "TF.js model: fused convolution " + n.name);
      out = conv2d(arg(0), arg(1), &arg(2), n, relu);
    } else if (op == "Neg") out = unary(take(0), neg);
    else if (op == "Sigmoid") out = unary(take(0), sigmoid);
    else if (op == "Square") out = unary(take(0), square);
    else if (op == "Sqrt") out = unary(take(0), sqrt_f);
    else if (op == "Log") out = unary(take(0), log_f);
    else if (op == "Mul") out = broadcast(arg(0), arg(1), [](float a, float b) { return a * b; });
    else if (op == "Add" || op == "AddV2") out = broadcast(arg(0), arg(1), [](float a, float b) { return a + b; });
    else if (op == "Sub") out = broadcast(arg(0), arg(1), [](float a, float b) { return a - b; });
    else if (op == "DivNoNan") out = broadcast(arg(0), arg(1), [](float a, float b) { return b == 0.0f ? 0.0f : a / b; });
    else if (op == "Sum" || op == "Min" || op == "Max") {
      if (attr_int(n.attr, "keep_dims") != 0 || (n.attr.contains("keep_dims") && n.attr["keep_dims"].value("b", false)))
        throw Error(ErrorCode::kUnsupported, "TF.js model: reduction with keep_dims");
      out = reduce(arg(0), as_ints(arg(1)), op == "Sum" ? 0 : op == "Min" ? 1 : 2);
    } else {
      throw Error(ErrorCode::kUnsupported, "TF.js model: op " + op + " (node " + n.name + ") is not supported");
    }
    values[size_t(k)] = std::move(out);
    for (int i : n.inputs)
      if (--uses[size_t(i)] == 0) values[size_t(i)] = Tensor{};
  }
  std::vector<Tensor> result;
  for (int k : wanted) result.push_back(values[size_t(k)]);
  return result;
}

}  // namespace continuo::audio::tfjs

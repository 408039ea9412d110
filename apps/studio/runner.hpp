// Running a generation job: the model (loaded once, kept in a small cache), the engine's events
// turned into piano-roll notes as they come, results stored as scores.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "continuo/engine.hpp"
#include "continuo/model.hpp"
#include "studio/jobs.hpp"
#include "studio/store.hpp"

namespace continuo::studio {

class ModelCache {
 public:
  // `dir` empty: the model registry (model::list_models); else only the models in `dir`.
  explicit ModelCache(std::string dir, size_t max_loaded = 4) : dir_(std::move(dir)), max_loaded_(max_loaded) {}
  std::vector<model::ModelFiles> list() const;
  // A listed model by its name (never a path: API clients cannot point at other folders).
  std::optional<model::ModelFiles> find(const std::string& name) const;
  std::shared_ptr<const engine::Model> get(const model::ModelFiles& files);
  std::string default_name() const;   // "default" if present, else the first continuation model listed
  // Whether a listed model is a continuation model (config.json "format" continuo-model-1, or
  // unreadable: it is then listed with its error) rather than a tool's network (Groove, Drumify,
  // the clip VAEs), which only POST /api/tools uses.
  static bool is_continuation(const model::ModelFiles& m);

 private:
  std::string dir_;
  size_t max_loaded_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const engine::Model>> loaded_;
  std::vector<std::string> order_;   // least recently used first
};

// Runs `job` to completion, emitting "start", "notes", "result" and "done" (or "error") events.
// Sets the job's state to kDone or kFailed.
void run_job(Job& job, ModelCache& models, ScoreStore& store);

}  // namespace continuo::studio

// core/io.cpp: whole-file reads and atomic writes (temporary file in the same folder, fsync,
// rename), with errors that name the path and the reason.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "continuo/error.hpp"
#include "continuo/midi.hpp"

namespace continuo {
namespace {

[[noreturn]] void io_error(const std::string& path, const std::string& what, int err) {
  throw Error(ErrorCode::kIo, path + ": " + what + ": " + std::strerror(err));
}

// Closes a descriptor on scope exit unless released.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Writes all of [data, data + size) to fd, retrying short writes and EINTR. Returns errno or 0.
int write_all(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += n;
    size -= size_t(n);
  }
  return 0;
}

// A name for the temporary file next to `path`: ".<base>.<pid>.<counter><random>.tmp".
std::string temp_name_for(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir + "." + base + "." + std::to_string(::getpid()) + "." +
         std::to_string(counter.fetch_add(1)) + std::to_string(rng() % 1000000) + ".tmp";
}

}  // namespace

namespace midi {

std::vector<uint8_t> read_file_bytes(const std::string& path, size_t max_bytes) {
  Fd f;
  do {
    f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (f.fd < 0 && errno == EINTR);
  if (f.fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      throw Error(ErrorCode::kNotFound, path + ": no such file");
    io_error(path, "cannot open", errno);
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) io_error(path, "cannot stat", errno);
  if (S_ISDIR(st.st_mode)) throw Error(ErrorCode::kIo, path + ": is a directory");

  auto too_big = [&](uint64_t size, bool known) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "%s%.1f MiB; files of at most %.1f MiB are read", known ? "" : "more than ",
                  double(size) / (1 << 20), double(max_bytes) / (1 << 20));
    return Error(ErrorCode::kInvalidArgument, path + ": " + buf);
  };
  if (S_ISREG(st.st_mode) && st.st_size > 0 && uint64_t(st.st_size) > max_bytes) throw too_big(uint64_t(st.st_size), true);
  std::vector<uint8_t> bytes;
  // st_size is a hint only (pipes and /proc files report 0 or a wrong size).
  size_t capacity = S_ISREG(st.st_mode) && st.st_size > 0 ? size_t(st.st_size) + 1 : 65536;
  bytes.resize(capacity);
  size_t used = 0;
  for (;;) {
    if (used == bytes.size()) bytes.resize(bytes.size() * 2);
    ssize_t n = ::read(f.fd, bytes.data() + used, bytes.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      io_error(path, "cannot read", errno);
    }
    if (n == 0) break;
    used += size_t(n);
    if (used > max_bytes) throw too_big(max_bytes, false);   // a pipe, or a file that grew
  }
  bytes.resize(used);
  return bytes;
}

}  // namespace midi

void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes) {
  if (path.empty()) throw Error(ErrorCode::kIo, "cannot write a file with an empty name");
  std::string temp;
  Fd f;
  for (int attempt = 0; attempt < 100 && f.fd < 0; ++attempt) {
    temp = temp_name_for(path);
    // 0666 and the process umask: the same permissions an ordinary new file would get.
    f.fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (f.fd < 0 && errno != EEXIST && errno != EINTR)
      io_error(path, "cannot create a temporary file in its folder", errno);
  }
  if (f.fd < 0) io_error(path, "cannot create a temporary file in its folder", EEXIST);

  auto fail = [&](const std::string& what, int err) {
    ::close(f.fd);
    f.fd = -1;
    ::unlink(temp.c_str());
    io_error(path, what, err);
  };
  // An existing target keeps its permissions.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) ::fchmod(f.fd, st.st_mode & 07777);

  if (int err = write_all(f.fd, bytes.data(), bytes.size())) fail("cannot write", err);
  if (::fsync(f.fd) != 0) fail("cannot flush to disk", errno);
  int fd = f.fd;
  f.fd = -1;
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    io_error(path, "cannot write", err);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    if (err == EISDIR) throw Error(ErrorCode::kIo, path + ": is a directory");
    io_error(path, "cannot replace the file", err);
  }
  // Make the rename itself durable; failure here does not undo the write, so it is not reported.
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void write_file_atomic(const std::string& path, std::string_view text) {
  write_file_atomic(path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()),
                                                  text.size()));
}

}  // namespace continuo

// core/io.cpp: read_file_bytes and write_file_atomic, their errors and their cleanup.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "continuo/error.hpp"
#include "continuo/midi.hpp"
#include "test_support.hpp"

namespace continuo {
namespace {
namespace fs = std::filesystem;

Error error_of(auto&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  return Error(ErrorCode::kInternal, "no error");
}

size_t files_in(const fs::path& dir) {
  return size_t(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

TEST(ReadFileBytes, ReadsWholeFile) {
  testing::TempDir dir;
  std::vector<uint8_t> data(300000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7);
  std::ofstream(dir.file("a.bin"), std::ios::binary).write(reinterpret_cast<char*>(data.data()), data.size());
  EXPECT_EQ(midi::read_file_bytes(dir.file("a.bin")), data);
}

TEST(ReadFileBytes, MissingDirectoryAndEmpty) {
  testing::TempDir dir;
  Error missing = error_of([&] { midi::read_file_bytes(dir.file("nope.mid")); });
  EXPECT_EQ(missing.code(), ErrorCode::kNotFound);
  EXPECT_EQ(std::string(missing.what()), dir.file("nope.mid") + ": no such file");

  Error directory = error_of([&] { midi::read_file_bytes(dir.path().string()); });
  EXPECT_EQ(directory.code(), ErrorCode::kIo);
  EXPECT_EQ(std::string(directory.what()), dir.path().string() + ": is a directory");

  std::ofstream(dir.file("empty.mid")).close();
  auto bytes = midi::read_file_bytes(dir.file("empty.mid"));
  EXPECT_TRUE(bytes.empty());
  Error empty = error_of([&] { midi::parse(bytes, "empty.mid"); });
  EXPECT_EQ(empty.code(), ErrorCode::kCorruptData);
  EXPECT_NE(std::string(empty.what()).find("empty.mid: empty file"), std::string::npos);
}

TEST(ReadFileBytes, Unreadable) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads everything";
  testing::TempDir dir;
  std::ofstream(dir.file("secret.mid")) << "x";
  chmod(dir.file("secret.mid").c_str(), 0);
  Error e = error_of([&] { midi::read_file_bytes(dir.file("secret.mid")); });
  EXPECT_EQ(e.code(), ErrorCode::kIo);
  EXPECT_NE(std::string(e.what()).find("secret.mid: cannot open"), std::string::npos) << e.what();
}

TEST(WriteFileAtomic, CreatesAndReplaces) {
  testing::TempDir dir;
  const std::string path = dir.file("out.mid");
  write_file_atomic(path, std::string_view("first version"));
  write_file_atomic(path, std::string_view("second"));
  std::vector<uint8_t> expected{'s', 'e', 'c', 'o', 'n', 'd'};
  EXPECT_EQ(midi::read_file_bytes(path), expected);
  const std::vector<uint8_t> none;
  write_file_atomic(path, none);
  EXPECT_TRUE(midi::read_file_bytes(path).empty());
  EXPECT_EQ(files_in(dir.path()), 1u);  // no temporary file left behind
}

TEST(WriteFileAtomic, KeepsPermissionsOfAnExistingFile) {
  testing::TempDir dir;
  const std::string path = dir.file("p.txt");
  write_file_atomic(path, std::string_view("a"));
  chmod(path.c_str(), 0640);
  write_file_atomic(path, std::string_view("b"));
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(WriteFileAtomic, FailuresAreIoErrorsAndLeaveNothing) {
  testing::TempDir dir;
  Error no_dir = error_of([&] { write_file_atomic(dir.file("missing/out.mid"), std::string_view("x")); });
  EXPECT_EQ(no_dir.code(), ErrorCode::kIo);
  EXPECT_NE(std::string(no_dir.what()).find(dir.file("missing/out.mid") + ": "), std::string::npos);

  fs::create_directory(dir.file("sub"));
  std::ofstream(dir.file("sub/keep")) << "k";
  Error over_dir = error_of([&] { write_file_atomic(dir.file("sub"), std::string_view("x")); });
  EXPECT_EQ(over_dir.code(), ErrorCode::kIo);
  EXPECT_NE(std::string(over_dir.what()).find(dir.file("sub") + ": "), std::string::npos) << over_dir.what();
  EXPECT_EQ(files_in(dir.path()), 1u);  // only "sub": the temporary file was removed
  EXPECT_TRUE(fs::is_directory(dir.file("sub")));

  if (geteuid() != 0) {
    fs::create_directory(dir.file("ro"));
    chmod(dir.file("ro").c_str(), 0555);
    Error ro = error_of([&] { write_file_atomic(dir.file("ro/out.mid"), std::string_view("x")); });
    EXPECT_EQ(ro.code(), ErrorCode::kIo);
    chmod(dir.file("ro").c_str(), 0755);
  }
}

}  // namespace
}  // namespace continuo

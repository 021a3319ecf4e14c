#include "support/certs.hpp"

#include "support/process.hpp"

#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace pimqttd::test {
namespace {

constexpr auto kOpensslDeadline = std::chrono::seconds(30);

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out.flush()) {
    throw std::runtime_error("cannot write " + path.string());
  }
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

/// "20240131235959Z", what `openssl ca -startdate/-enddate` takes.
std::string generalized_time(std::chrono::system_clock::time_point when) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d%H%M%SZ", &tm);
  return text;
}

std::string join(const std::vector<std::string>& items, const std::string& prefix) {
  std::string text;
  for (const auto& item : items) {
    if (!text.empty()) text += ", ";
    text += prefix + item;
  }
  return text;
}

}  // namespace

void run_openssl(const std::vector<std::string>& arguments, const std::filesystem::path& work_dir) {
  std::vector<std::string> argv{"openssl"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  ProcessOptions redirect;
  redirect.stdout_path = work_dir / "openssl.out";
  redirect.stderr_path = work_dir / "openssl.err";
  const auto status = run_process(argv, kOpensslDeadline, redirect);
  if (!status || !status->success()) {
    std::string command;
    for (const auto& word : argv) command += word + " ";
    throw std::runtime_error("'" + command + "' failed (" +
                             (status ? to_string(*status) : std::string("timed out")) + "):\n" +
                             read_text(work_dir / "openssl.err"));
  }
}

CertificateAuthority::CertificateAuthority(const std::filesystem::path& parent,
                                           const std::string& name)
    : dir_(parent / name) {
  std::filesystem::create_directories(dir_ / "issued");
  write_text(dir_ / "req.cnf",
             "[ req ]\n"
             "distinguished_name = dn\n"
             "prompt = no\n"
             "[ dn ]\n"
             "CN = unused\n"
             "[ v3_ca ]\n"
             "basicConstraints = critical, CA:true\n"
             "keyUsage = critical, keyCertSign, cRLSign\n"
             "subjectKeyIdentifier = hash\n");
  write_text(dir_ / "ca.cnf",
             "[ ca ]\n"
             "default_ca = test_ca\n"
             "[ test_ca ]\n"
             "database = " + (dir_ / "index.txt").string() + "\n" +
             "new_certs_dir = " + (dir_ / "issued").string() + "\n" +
             "serial = " + (dir_ / "serial").string() + "\n" +
             "certificate = " + certificate().string() + "\n" +
             "private_key = " + key().string() + "\n" +
             "default_md = sha256\n"
             "policy = any_name\n"
             "unique_subject = no\n"
             "email_in_dn = no\n"
             "copy_extensions = none\n"
             "[ any_name ]\n"
             "commonName = supplied\n");
  write_text(dir_ / "index.txt", "");
  write_text(dir_ / "serial", "1000\n");
  run_openssl({"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
               key().string()},
              dir_);
  run_openssl({"req", "-config", (dir_ / "req.cnf").string(), "-new", "-x509", "-key",
               key().string(), "-subj", "/O=pimqttd tests/CN=" + name, "-days", "3650",
               "-extensions", "v3_ca", "-out", certificate().string()},
              dir_);
}

CertificateFiles CertificateAuthority::issue(const std::string& stem,
                                             const CertificateRequest& request) {
  const CertificateFiles files{dir_ / (stem + ".crt"), dir_ / (stem + ".key")};
  const auto csr = dir_ / (stem + ".csr");
  const auto extensions = dir_ / (stem + ".ext");
  std::string ext = "basicConstraints = CA:false\n"
                    "keyUsage = critical, digitalSignature\n"
                    "subjectKeyIdentifier = hash\n"
                    "authorityKeyIdentifier = keyid\n";
  ext += std::string("extendedKeyUsage = ") + (request.client ? "clientAuth" : "serverAuth") + "\n";
  std::string alt_names = join(request.dns_names, "DNS:");
  const std::string ips = join(request.ip_addresses, "IP:");
  if (!ips.empty()) alt_names += (alt_names.empty() ? "" : ", ") + ips;
  if (!alt_names.empty()) ext += "subjectAltName = " + alt_names + "\n";
  write_text(extensions, ext);

  // Written beside and renamed over: a reader never sees half a file.
  const auto new_key = dir_ / (stem + ".key.new");
  const auto new_certificate = dir_ / (stem + ".crt.new");
  run_openssl({"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
               new_key.string()},
              dir_);
  run_openssl({"req", "-config", (dir_ / "req.cnf").string(), "-new", "-key", new_key.string(),
               "-subj", "/O=pimqttd tests/CN=" + request.common_name, "-out", csr.string()},
              dir_);
  run_openssl({"ca", "-batch", "-config", (dir_ / "ca.cnf").string(), "-notext", "-in",
               csr.string(), "-out", new_certificate.string(), "-startdate",
               generalized_time(request.not_before), "-enddate",
               generalized_time(request.not_after), "-extfile", extensions.string()},
              dir_);
  std::filesystem::rename(new_key, files.key);
  std::filesystem::rename(new_certificate, files.certificate);
  return files;
}

void encrypt_key(const std::filesystem::path& key, const std::string& password,
                 const std::filesystem::path& out) {
  run_openssl({"pkey", "-in", key.string(), "-aes256", "-passout", "pass:" + password, "-out",
               out.string()},
              out.parent_path());
}

}  // namespace pimqttd::test

// The registry's config keys: devices_file (CSV or JSON lines, next to the
// config file when relative; together with inline devices), and the
// top-level default_home_id.
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/core/config_test_util.h"

namespace streamgate {
namespace {

using testing::Err;
using ::testing::HasSubstr;
using testing::kModules;
using testing::kTestAdapterSections;
using testing::Ok;

std::string Dir() { return ::testing::TempDir(); }

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = Dir() + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(ConfigDevicesTest, FileAndInlineDevicesMakeOneRegistry) {
  const std::string csv =
      Write("cfg_devices.csv", "id,home_id,class\n100,1,lamp\n101,2,\n");
  GatewayConfig c =
      Ok("devices_file: " + csv +
         "\ndevices:\n  - {id: 42, home_id: 7, class: plug}\n" + kModules);
  ASSERT_NE(c.devices, nullptr);
  EXPECT_EQ(c.devices->size(), 3u);
  EXPECT_EQ(c.devices->Find(42)->device_class, "plug");
  EXPECT_EQ(c.devices->Find(100)->device_class, "lamp");
  EXPECT_EQ(c.devices->Find(101)->home_id, 2);
  EXPECT_EQ(c.devices_file, csv);
}

TEST(ConfigDevicesTest, RelativePathIsNextToTheConfigFile) {
  Write("cfg_rel.jsonl", "{\"id\":5,\"home_id\":6}\n");
  const std::string config = Write(
      "cfg_rel.yaml", std::string("devices_file: cfg_rel.jsonl\n") + kModules);
  auto c = LoadConfigFile(config, kTestAdapterSections);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->devices_file, Dir() + "/cfg_rel.jsonl");
  EXPECT_EQ(c->devices->Find(5)->home_id, 6);
}

TEST(ConfigDevicesTest, BadLineNamesConfigFileAndLine) {
  const std::string csv =
      Write("cfg_bad.csv", "id,home_id,class\n1,2,a\n3,x,b\n");
  EXPECT_EQ(Err("devices_file: " + csv + "\n" + kModules),
            "config test.yaml: devices_file (line 1): " + csv +
                " line 3: home_id: must be a positive integer, got 'x'");
}

TEST(ConfigDevicesTest, MissingFileAndBadExtension) {
  EXPECT_THAT(Err("devices_file: " + Dir() + "/none.csv\n" + kModules),
              HasSubstr("devices_file (line 1): " + Dir() +
                        "/none.csv: cannot be read"));
  EXPECT_THAT(Err("devices_file: /x/devices.txt\n" + std::string(kModules)),
              HasSubstr("must end in .csv, .jsonl or .ndjson"));
  EXPECT_THAT(Err("devices_file: ''\n" + std::string(kModules)),
              HasSubstr("devices_file (line 1)"));
}

TEST(ConfigDevicesTest, DeviceInBothPlacesIsRefused) {
  const std::string csv =
      Write("cfg_dup.csv", "id,home_id,class\n9,1,\n42,2,\n");
  EXPECT_EQ(Err("devices_file: " + csv +
                "\ndevices:\n  - {id: 42, home_id: 7}\n" + kModules),
            "config test.yaml: devices_file (line 1): device 42 is listed "
            "twice: devices[0] and " +
                csv + " line 3");
}

TEST(ConfigDevicesTest, DefaultHomeId) {
  EXPECT_FALSE(Ok(kModules).default_home_id.has_value());
  EXPECT_EQ(
      *Ok(std::string("default_home_id: 900\n") + kModules).default_home_id,
      900);
  EXPECT_THAT(Err(std::string("default_home_id: 0\n") + kModules),
              HasSubstr("default_home_id (line 1)"));
  EXPECT_THAT(Err(std::string("default_home_id: x\n") + kModules),
              HasSubstr("default_home_id (line 1)"));
}

}  // namespace
}  // namespace streamgate

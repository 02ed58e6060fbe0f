// safetensors files, their writer, sharded Hugging Face checkpoints and parseJson. Input
// files are assembled by hand here (header text + raw bytes), not with the engine's writer.
#include "moe/error.h"
#include "moe/safetensors.h"
#include "test_support.h"

#include <QTest>

#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

using namespace moe;

namespace {

// u64 little-endian header length + header text + buffer.
std::string safetensorsBytes(const std::string& header, const std::string& buffer)
{
    std::string out(8, '\0');
    const uint64_t n = header.size();
    std::memcpy(out.data(), &n, 8);
    return out + header + buffer;
}

std::string floats(std::initializer_list<float> values)
{
    std::string s;
    for (float v : values)
        s.append(reinterpret_cast<const char*>(&v), 4);
    return s;
}

std::unique_ptr<SafetensorsFile> parse(const std::string& bytes, const std::string& name = "mem.safetensors")
{
    return SafetensorsFile::fromMemory(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), name);
}

// Header keys deliberately not in offset order: entries must come out in file order.
const char* kHeader = R"({"__metadata__":{"format":"pt","note":"x"},)"
                      R"("b.f16":{"dtype":"F16","shape":[4],"data_offsets":[24,32]},)"
                      R"("a.f32":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
                      R"("c.bf16":{"dtype":"BF16","shape":[1,1,2],"data_offsets":[32,36]},)"
                      R"("d.i8":{"dtype":"I8","shape":[3],"data_offsets":[36,39]},)"
                      R"("e.scalar":{"dtype":"F32","shape":[],"data_offsets":[39,43]},)"
                      R"("f.empty":{"dtype":"F32","shape":[0,4],"data_offsets":[43,43]}})";

std::string validFile()
{
    std::string buffer = floats({1, 2, 3, 4, 5, 6});
    const uint16_t f16[4] = {0x3c00, 0x4000, 0x4200, 0x4400};
    buffer.append(reinterpret_cast<const char*>(f16), 8);
    const uint16_t bf16[2] = {0x3f80, 0xbf80};
    buffer.append(reinterpret_cast<const char*>(bf16), 4);
    buffer += std::string("\x01\x02\x03", 3);
    buffer += floats({42});
    return safetensorsBytes(kHeader, buffer);
}

void expectError(const std::function<void()>& fn, ErrorCode code, const std::string& file, const std::string& field)
{
    try {
        fn();
        QFAIL("no error");
    } catch (const Error& e) {
        QVERIFY2(e.code() == code, e.what());
        QCOMPARE(e.file(), file);
        QCOMPARE(e.field(), field);
    }
}

std::string tensorJson(const std::string& dtype, const std::string& shape, uint64_t begin, uint64_t end)
{
    return R"({"dtype":")" + dtype + R"(","shape":)" + shape + R"(,"data_offsets":[)" + std::to_string(begin) + ","
        + std::to_string(end) + "]}";
}

} // namespace

class TestSafetensors : public QObject {
    Q_OBJECT
private slots:
    void readsHandBuiltFile();
    void everyTruncationThrows();
    void rejectsBadInput_data();
    void rejectsBadInput();
    void writerOutputParsesIndependently();
    void checkpointSingleFile();
    void checkpointSharded();
    void checkpointErrors();
    void writeShardedSafetensorsLayout();
    void parseJsonNamesPosition();
};

void TestSafetensors::readsHandBuiltFile()
{
    const std::string bytes = validFile();
    test::TempDir dir;
    const std::string path = dir.file("m.safetensors");
    test::writeFile(path, bytes);
    SafetensorsFile f(path);
    QCOMPARE(f.userMetadata().at("format"), std::string("pt"));
    QCOMPARE(f.userMetadata().size(), size_t(2));
    const auto& entries = f.tensorEntries();
    QCOMPARE(entries.size(), size_t(6));
    const char* order[] = {"a.f32", "b.f16", "c.bf16", "d.i8", "e.scalar", "f.empty"};
    for (size_t k = 0; k < 6; ++k)
        QCOMPARE(entries[k].name, std::string(order[k]));
    QCOMPARE(entries[0].shape, (Shape{2, 3}));
    QCOMPARE(entries[0].typeName, std::string("F32"));
    QCOMPARE(entries[0].file, path);
    QCOMPARE(entries[3].typeName, std::string("I8"));
    QVERIFY(!entries[3].dtype);
    QCOMPARE(entries[4].shape.rank, 0);
    QCOMPARE(f.totalTensorBytes(), uint64_t(43));

    const uint64_t bufferStart = 8 + std::strlen(kHeader);
    const WeightView a = f.weight("a.f32");
    QCOMPARE(a.dtype, DType::F32);
    QCOMPARE(a.bytes, uint64_t(24));
    QCOMPARE(static_cast<const float*>(a.data)[4], 5.0f);
    const WeightView b = f.weight("b.f16");
    QCOMPARE(b.dtype, DType::F16);
    QCOMPARE(b.shape, (Shape{4}));
    QCOMPARE(static_cast<const uint16_t*>(b.data)[1], uint16_t(0x4000));
    const WeightView c = f.weight("c.bf16");
    QCOMPARE(c.dtype, DType::BF16);
    QCOMPARE(c.shape, (Shape{1, 1, 2}));
    QCOMPARE(static_cast<const uint8_t*>(c.data) - static_cast<const uint8_t*>(a.data), ptrdiff_t(32));
    QCOMPARE(*static_cast<const float*>(f.weight("e.scalar").data), 42.0f);
    QCOMPARE(f.weight("f.empty").bytes, uint64_t(0));
    // The view points into the file image (no copy): compare with the bytes we wrote.
    QCOMPARE(std::memcmp(a.data, bytes.data() + bufferStart, 24), 0);

    expectError([&] { f.weight("d.i8"); }, ErrorCode::UnsupportedType, path, "tensor d.i8");
    try {
        f.weight("d.i8");
    } catch (const Error& e) {
        QVERIFY(std::string(e.what()).find("d.i8: dtype I8 is not supported yet") != std::string::npos);
    }
    expectError([&] { f.weight("zz"); }, ErrorCode::MissingField, path, "tensor zz");
    QVERIFY(f.has("a.f32"));
    QVERIFY(!f.has("__metadata__"));
}

void TestSafetensors::everyTruncationThrows()
{
    const std::string full = validFile();
    QVERIFY(parse(full)->has("e.scalar"));
    for (size_t len = 0; len < full.size(); ++len) {
        std::unique_ptr<uint8_t[]> copy(new uint8_t[len + 1]);
        std::memcpy(copy.get(), full.data(), len);
        try {
            SafetensorsFile::fromMemory(copy.get(), len, "cut.safetensors");
            QFAIL(qPrintable(QString("prefix of %1 bytes parsed").arg(len)));
        } catch (const Error& e) {
            QCOMPARE(e.file(), std::string("cut.safetensors"));
            QVERIFY2(!e.field().empty(), e.what());
        }
    }
}

void TestSafetensors::rejectsBadInput_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("field");
    auto row = [](const char* name, const std::string& b, ErrorCode code, const char* field) {
        QTest::newRow(name) << QByteArray(b.data(), qsizetype(b.size())) << int(code) << QString(field);
    };
    auto one = [](const std::string& entry, size_t bufferBytes) {
        return safetensorsBytes(R"({"w":)" + entry + "}", std::string(bufferBytes, '\0'));
    };
    std::string pastEof(8, '\0');
    const uint64_t big = 1000;
    std::memcpy(pastEof.data(), &big, 8);
    row("header length past EOF", pastEof + "{}", ErrorCode::Truncated, "header length");
    std::string huge(8, '\xff');
    row("header length huge", huge + "{}", ErrorCode::BadValue, "header length");
    row("short file", std::string(5, '\0'), ErrorCode::Truncated, "header length");
    row("malformed JSON", safetensorsBytes(R"({"w": {"dtype": "F32",)", ""), ErrorCode::BadJson, "byte 31");
    row("invalid UTF-8", safetensorsBytes("{\"\xff\": 1}", ""), ErrorCode::BadJson, "byte 11");
    row("root not object", safetensorsBytes("[1,2]", ""), ErrorCode::BadValue, "header");
    row("entry not object", one("3", 0), ErrorCode::BadValue, "tensor w");
    row("missing dtype", one(R"({"shape":[1],"data_offsets":[0,4]})", 4), ErrorCode::MissingField, "tensor w");
    row("dtype not string", one(R"({"dtype":1,"shape":[1],"data_offsets":[0,4]})", 4), ErrorCode::BadValue,
        "tensor w");
    row("unknown dtype", one(tensorJson("F12", "[1]", 0, 4), 4), ErrorCode::UnsupportedType, "tensor w");
    row("offsets past end", one(tensorJson("F32", "[1]", 100, 104), 4), ErrorCode::Overflow, "tensor w");
    row("data past end", one(tensorJson("F32", "[2]", 0, 8), 4), ErrorCode::Truncated, "tensor w");
    row("offsets overflow", one(tensorJson("F32", "[1]", 18446744073709551608ull, 18446744073709551612ull), 4),
        ErrorCode::Overflow, "tensor w");
    row("end before begin", one(tensorJson("F32", "[1]", 8, 4), 12), ErrorCode::BadValue, "tensor w");
    row("span mismatch", one(tensorJson("F32", "[2]", 0, 4), 8), ErrorCode::BadValue, "tensor w");
    row("negative dim", one(tensorJson("F32", "[-1]", 0, 4), 4), ErrorCode::BadValue, "tensor w");
    row("float dim", one(tensorJson("F32", "[1.0]", 0, 4), 4), ErrorCode::BadValue, "tensor w");
    row("shape not array", one(tensorJson("F32", "4", 0, 4), 4), ErrorCode::BadValue, "tensor w");
    row("rank 5", one(tensorJson("F32", "[1,1,1,1,1]", 0, 4), 4), ErrorCode::UnsupportedType, "tensor w");
    row("dims product overflow", one(tensorJson("F32", "[4294967296,4294967296]", 0, 4), 4), ErrorCode::Overflow,
        "tensor w");
    row("bytes overflow", one(tensorJson("F64", "[4611686018427387904]", 0, 8), 8), ErrorCode::Overflow, "tensor w");
    row("offsets wrong length", one(R"({"dtype":"F32","shape":[1],"data_offsets":[0]})", 4), ErrorCode::BadValue,
        "tensor w");
    row("metadata not object", safetensorsBytes(R"({"__metadata__":[1]})", ""), ErrorCode::BadValue,
        "__metadata__");
    row("metadata value not string", safetensorsBytes(R"({"__metadata__":{"k":1}})", ""), ErrorCode::BadValue,
        "__metadata__.k");
    row("overlapping tensors",
        safetensorsBytes(R"({"a":)" + tensorJson("F32", "[2]", 0, 8) + R"(,"w":)" + tensorJson("F32", "[1]", 4, 8) + "}",
                         std::string(8, '\0')),
        ErrorCode::BadValue, "tensor w");
}

void TestSafetensors::rejectsBadInput()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, code);
    QFETCH(QString, field);
    try {
        SafetensorsFile::fromMemory(reinterpret_cast<const uint8_t*>(bytes.constData()), uint64_t(bytes.size()),
                                    "bad.safetensors");
        QFAIL("parsed without error");
    } catch (const Error& e) {
        QCOMPARE(e.file(), std::string("bad.safetensors"));
        QCOMPARE(QString::fromStdString(e.field()), field);
        QVERIFY2(int(e.code()) == code, e.what());
    }
}

void TestSafetensors::writerOutputParsesIndependently()
{
    const float a[6] = {1, 2, 3, 4, 5, 6};
    const uint16_t h[3] = {1, 2, 3};
    SafetensorsWriter w;
    w.setMetadata("format", "pt");
    w.addTensor("z.first", DType::F32, Shape{2, 3}, a, sizeof a);
    w.addTensor("a.second", DType::BF16, Shape{3}, h, sizeof h);
    QCOMPARE(w.dataBytes(), uint64_t(30));
    test::TempDir dir;
    const std::string path = dir.file("w.safetensors");
    w.write(path);

    // Independent reading: length prefix, nlohmann on the header, raw buffer bytes.
    const std::string bytes = test::readFile(path);
    uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    QCOMPARE((8 + n) % 8, uint64_t(0)); // buffer starts 8-byte aligned
    const auto header = nlohmann::json::parse(bytes.substr(8, n));
    QCOMPARE(header["__metadata__"]["format"].get<std::string>(), std::string("pt"));
    QCOMPARE(header["z.first"]["dtype"].get<std::string>(), std::string("F32"));
    QVERIFY(header["z.first"]["shape"] == nlohmann::json::array({2, 3}));
    QVERIFY(header["z.first"]["data_offsets"] == nlohmann::json::array({0, 24}));
    QCOMPARE(header["a.second"]["dtype"].get<std::string>(), std::string("BF16"));
    QVERIFY(header["a.second"]["data_offsets"] == nlohmann::json::array({24, 30}));
    QCOMPARE(bytes.size(), size_t(8 + n + 30));
    QCOMPARE(std::memcmp(bytes.data() + 8 + n, a, 24), 0);
    QCOMPARE(std::memcmp(bytes.data() + 8 + n + 24, h, 6), 0);

    SafetensorsFile f(path);
    QCOMPARE(f.tensorEntries()[0].name, std::string("z.first"));
    QCOMPARE(f.weight("a.second").shape, (Shape{3}));

    auto invalid = [&](const std::function<void()>& fn) {
        try {
            fn();
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.code(), ErrorCode::InvalidArgument);
        }
    };
    invalid([&] { w.addTensor("q", DType::Q8_0, Shape{32}, a, 34); });
    invalid([&] { w.addTensor("z.first", DType::F32, Shape{1}, a, 4); });
    invalid([&] { w.addTensor("x", DType::F32, Shape{2}, a, 4); });
    invalid([&] { w.addTensor("__metadata__", DType::F32, Shape{1}, a, 4); });
}

void TestSafetensors::checkpointSingleFile()
{
    test::TempDir dir;
    test::writeFile(dir.file("config.json"), R"({"model_type":"mixtral","num_local_experts":8})");
    test::writeFile(dir.file("generation_config.json"), R"({"temperature":0.7})");
    test::writeFile(dir.file("model.safetensors"), validFile());
    HfCheckpoint ck(dir.path());
    QCOMPARE(ck.config()["num_local_experts"].get<int>(), 8);
    QCOMPARE(ck.generationConfig()["temperature"].get<double>(), 0.7);
    QCOMPARE(ck.tensorEntries().size(), size_t(6));
    QCOMPARE(ck.tensorEntries()[0].file, dir.file("model.safetensors"));
    QCOMPARE(ck.totalTensorBytes(), uint64_t(43));
    QCOMPARE(static_cast<const float*>(ck.weight("a.f32").data)[0], 1.0f);
    QCOMPARE(ck.path(), dir.path());

    test::TempDir bare; // no generation_config.json
    test::writeFile(bare.file("config.json"), "{}");
    test::writeFile(bare.file("model.safetensors"), validFile());
    HfCheckpoint ck2(bare.path());
    QVERIFY(ck2.generationConfig().is_object());
    QVERIFY(ck2.generationConfig().empty());
}

void TestSafetensors::checkpointSharded()
{
    test::TempDir dir;
    test::writeFile(dir.file("config.json"), "{}");
    const std::string h1 = R"({"x":)" + tensorJson("F32", "[2]", 0, 8) + R"(,"y":)" + tensorJson("F32", "[1]", 8, 12)
        + R"(,"unlisted":)" + tensorJson("F32", "[1]", 12, 16) + "}";
    test::writeFile(dir.file("s1.safetensors"), safetensorsBytes(h1, floats({1, 2, 3, 4})));
    const std::string h2 = R"({"z":)" + tensorJson("F16", "[2,1]", 0, 4) + "}";
    test::writeFile(dir.file("s2.safetensors"), safetensorsBytes(h2, std::string("\x00\x3c\x00\x40", 4)));
    test::writeFile(dir.file("model.safetensors.index.json"),
                    R"({"metadata":{"total_size":16},"weight_map":{"x":"s1.safetensors","z":"s2.safetensors",)"
                    R"("y":"s1.safetensors"}})");
    HfCheckpoint ck(dir.path());
    QCOMPARE(ck.tensorEntries().size(), size_t(3));
    QVERIFY(!ck.has("unlisted"));
    QCOMPARE(ck.tensorEntries()[0].name, std::string("x"));
    QCOMPARE(ck.tensorEntries()[2].file, dir.file("s2.safetensors"));
    QCOMPARE(static_cast<const float*>(ck.weight("y").data)[0], 3.0f);
    QCOMPARE(ck.weight("z").shape, (Shape{2, 1}));
    QCOMPARE(static_cast<const uint16_t*>(ck.weight("z").data)[1], uint16_t(0x4000));
    QCOMPARE(ck.totalTensorBytes(), uint64_t(16));
    expectError([&] { ck.weight("unlisted"); }, ErrorCode::MissingField, dir.path(), "tensor unlisted");
}

void TestSafetensors::checkpointErrors()
{
    {
        test::TempDir dir;
        test::writeFile(dir.file("model.safetensors"), validFile());
        expectError([&] { HfCheckpoint ck(dir.path()); }, ErrorCode::MissingField, dir.file("config.json"),
                    "config.json");
    }
    {
        test::TempDir dir;
        test::writeFile(dir.file("config.json"), "{}");
        expectError([&] { HfCheckpoint ck(dir.path()); }, ErrorCode::MissingField, dir.path(), "model.safetensors");
    }
    {
        test::TempDir dir;
        test::writeFile(dir.file("config.json"), R"({"a": })");
        test::writeFile(dir.file("model.safetensors"), validFile());
        expectError([&] { HfCheckpoint ck(dir.path()); }, ErrorCode::BadJson, dir.file("config.json"), "byte 7");
    }
    {
        test::TempDir dir;
        test::writeFile(dir.file("config.json"), "{}");
        test::writeFile(dir.file("s1.safetensors"), validFile());
        test::writeFile(dir.file("model.safetensors.index.json"),
                        R"({"weight_map":{"a.f32":"s1.safetensors","ghost":"s1.safetensors"}})");
        try {
            HfCheckpoint ck(dir.path());
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.code(), ErrorCode::MissingField);
            QCOMPARE(e.file(), dir.file("s1.safetensors"));
            QCOMPARE(e.field(), std::string("tensor ghost"));
            QVERIFY(std::string(e.what()).find("model.safetensors.index.json") != std::string::npos);
        }
    }
    {
        test::TempDir dir;
        test::writeFile(dir.file("config.json"), "{}");
        test::writeFile(dir.file("model.safetensors.index.json"), R"({"weight_map":{"w":"../etc/passwd"}})");
        expectError([&] { HfCheckpoint ck(dir.path()); }, ErrorCode::BadValue, dir.file("model.safetensors.index.json"),
                    "weight_map.w");
    }
    {
        test::TempDir dir;
        test::writeFile(dir.file("config.json"), "{}");
        test::writeFile(dir.file("model.safetensors.index.json"), R"({"weight_map":{"w":"missing.safetensors"}})");
        expectError([&] { HfCheckpoint ck(dir.path()); }, ErrorCode::Io, dir.file("missing.safetensors"), "");
    }
}

void TestSafetensors::writeShardedSafetensorsLayout()
{
    const float a[4] = {1, 2, 3, 4};
    const float b[2] = {5, 6};
    const uint16_t c[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    WeightView va{DType::F32, Shape{2, 2}, a, 16};
    WeightView vb{DType::F32, Shape{2}, b, 8};
    WeightView vc{DType::F16, Shape{8}, c, 16};
    test::TempDir dir;
    const std::string out = dir.file("ckpt");
    // 24 bytes per shard: a+b share the first, c gets the second.
    writeShardedSafetensors(out, {{"a", va}, {"b", vb}, {"c", vc}}, 24);
    QVERIFY(std::filesystem::exists(out + "/model-00001-of-00002.safetensors"));
    QVERIFY(std::filesystem::exists(out + "/model-00002-of-00002.safetensors"));
    const auto index = nlohmann::json::parse(test::readFile(out + "/model.safetensors.index.json"));
    QCOMPARE(index["metadata"]["total_size"].get<uint64_t>(), uint64_t(40));
    QCOMPARE(index["weight_map"]["a"].get<std::string>(), std::string("model-00001-of-00002.safetensors"));
    QCOMPARE(index["weight_map"]["b"].get<std::string>(), std::string("model-00001-of-00002.safetensors"));
    QCOMPARE(index["weight_map"]["c"].get<std::string>(), std::string("model-00002-of-00002.safetensors"));

    test::writeFile(out + "/config.json", "{}");
    HfCheckpoint ck(out);
    QCOMPARE(ck.tensorEntries().size(), size_t(3));
    QCOMPARE(std::memcmp(ck.weight("c").data, c, 16), 0);
    QCOMPARE(ck.weight("a").shape, (Shape{2, 2}));
    QCOMPARE(static_cast<const float*>(ck.weight("b").data)[1], 6.0f);
}

void TestSafetensors::parseJsonNamesPosition()
{
    QCOMPARE(parseJson(R"({"a":[1,2]})", "x.json")["a"][1].get<int>(), 2);
    expectError([] { parseJson("{\"a\": tru}", "x.json"); }, ErrorCode::BadJson, "x.json", "byte 10");
    expectError([] { parseJson("", "empty.json"); }, ErrorCode::BadJson, "empty.json", "byte 1");
    test::TempDir dir;
    expectError([&] { readJsonFile(dir.file("none.json")); }, ErrorCode::Io, dir.file("none.json"), "");
}

QTEST_APPLESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"

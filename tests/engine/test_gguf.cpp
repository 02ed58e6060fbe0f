// GGUF reader and writer. Files are built byte by byte here with a writer that shares no
// code with the engine, so a bug in GgufWriter cannot hide the same bug in GgufFile.
#include "moe/error.h"
#include "moe/gguf.h"
#include "test_support.h"

#include <QTest>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>

using namespace moe;

namespace {

// Little-endian byte writer, independent of the engine.
struct Bytes {
    std::string buf;
    Bytes& raw(const void* p, size_t n)
    {
        buf.append(static_cast<const char*>(p), n);
        return *this;
    }
    template <typename T> Bytes& le(T v) { return raw(&v, sizeof v); }
    Bytes& u8(uint8_t v) { return le(v); }
    Bytes& u32(uint32_t v) { return le(v); }
    Bytes& u64(uint64_t v) { return le(v); }
    Bytes& str(const std::string& s) { return u64(s.size()).raw(s.data(), s.size()); }
    Bytes& pad(size_t alignment)
    {
        while (buf.size() % alignment)
            buf.push_back('\0');
        return *this;
    }
    size_t size() const { return buf.size(); }
};

enum : uint32_t { tU8 = 0, tI8, tU16, tI16, tU32, tI32, tF32, tBool, tString, tArray, tU64, tI64, tF64 };

// A GGUF file assembled from parts; tensor infos are raw so tests can corrupt any field.
struct Gguf {
    uint32_t version = 3;
    uint64_t kvCount = 0;
    uint64_t tensorCount = 0;
    Bytes kvs;
    Bytes infos;
    size_t alignment = 32;
    Bytes data;

    Gguf& kv(const std::string& key, uint32_t type, const std::function<void(Bytes&)>& value)
    {
        kvs.str(key).u32(type);
        value(kvs);
        ++kvCount;
        return *this;
    }
    // dims innermost first, as GGUF stores them
    Gguf& tensor(const std::string& name, std::vector<uint64_t> dims, uint32_t type, uint64_t offset)
    {
        infos.str(name).u32(uint32_t(dims.size()));
        for (uint64_t d : dims)
            infos.u64(d);
        infos.u32(type).u64(offset);
        ++tensorCount;
        return *this;
    }
    std::string build() const
    {
        Bytes b;
        b.raw("GGUF", 4).u32(version).u64(tensorCount).u64(kvCount);
        b.buf += kvs.buf;
        b.buf += infos.buf;
        if (tensorCount > 0 || !data.buf.empty())
            b.pad(alignment);
        b.buf += data.buf;
        return b.buf;
    }
};

std::unique_ptr<GgufFile> parse(const std::string& bytes, const std::string& name = "mem.gguf")
{
    return GgufFile::fromMemory(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), name);
}

// A small valid file: every value type, one nested array, two tensors.
std::string smallValidFile(uint32_t version = 3)
{
    Gguf g;
    g.version = version;
    g.kv("general.architecture", tString, [](Bytes& b) { b.str("qwen3moe"); });
    g.kv("n", tU32, [](Bytes& b) { b.u32(7); });
    g.kv("toks", tArray, [](Bytes& b) { b.u32(tString).u64(2).str("a").str("bc"); });
    g.kv("nest", tArray, [](Bytes& b) { b.u32(tArray).u64(1).u32(tI32).u64(2).le<int32_t>(-1).le<int32_t>(2); });
    g.tensor("a", {2, 3}, 0, 0);  // F32 [3, 2] = 24 bytes
    g.tensor("b", {32}, 8, 32);   // Q8_0 [32] = 34 bytes
    for (int k = 0; k < 6; ++k)
        g.data.le<float>(float(k));
    g.data.pad(32);
    for (int k = 0; k < 34; ++k)
        g.data.u8(uint8_t(k));
    return g.build();
}

} // namespace

class TestGguf : public QObject {
    Q_OBJECT
private slots:
    void readsEveryMetadataType_data();
    void readsEveryMetadataType();
    void readsTensorsFromMappedFile();
    void honoursAlignment();
    void namesTypesWeCannotCompute();
    void typedLookups();
    void everyTruncationThrows_data();
    void everyTruncationThrows();
    void rejectsBadInput_data();
    void rejectsBadInput();
    void ioErrorsNameThePath();
    void writerMatchesHandBuiltBytes();
    void writerRejectsBadArguments();
    void typeNames();
};

void TestGguf::readsEveryMetadataType_data()
{
    QTest::addColumn<uint32_t>("version");
    QTest::newRow("v2") << 2u;
    QTest::newRow("v3") << 3u;
}

void TestGguf::readsEveryMetadataType()
{
    QFETCH(uint32_t, version);
    Gguf g;
    g.version = version;
    g.kv("u8", tU8, [](Bytes& b) { b.u8(250); });
    g.kv("i8", tI8, [](Bytes& b) { b.le<int8_t>(-5); });
    g.kv("u16", tU16, [](Bytes& b) { b.le<uint16_t>(65000); });
    g.kv("i16", tI16, [](Bytes& b) { b.le<int16_t>(-30000); });
    g.kv("u32", tU32, [](Bytes& b) { b.u32(4000000000u); });
    g.kv("i32", tI32, [](Bytes& b) { b.le<int32_t>(-2000000000); });
    g.kv("f32", tF32, [](Bytes& b) { b.le<float>(1.5f); });
    g.kv("bool", tBool, [](Bytes& b) { b.u8(1); });
    g.kv("str", tString, [](Bytes& b) { b.str("héllo"); });
    g.kv("u64", tU64, [](Bytes& b) { b.u64(0xfffffffffffffffeull); });
    g.kv("i64", tI64, [](Bytes& b) { b.le<int64_t>(-9000000000ll); });
    g.kv("f64", tF64, [](Bytes& b) { b.le<double>(-2.25); });
    g.kv("arr.i32", tArray, [](Bytes& b) { b.u32(tI32).u64(3).le<int32_t>(1).le<int32_t>(-2).le<int32_t>(3); });
    g.kv("arr.u8", tArray, [](Bytes& b) { b.u32(tU8).u64(2).u8(0).u8(255); });
    g.kv("arr.f32", tArray, [](Bytes& b) { b.u32(tF32).u64(2).le<float>(0.5f).le<float>(-1.0f); });
    g.kv("arr.f64", tArray, [](Bytes& b) { b.u32(tF64).u64(1).le<double>(3.25); });
    g.kv("arr.bool", tArray, [](Bytes& b) { b.u32(tBool).u64(3).u8(1).u8(0).u8(1); });
    g.kv("arr.str", tArray, [](Bytes& b) { b.u32(tString).u64(3).str("<s>").str("").str("world"); });
    g.kv("arr.u64", tArray, [](Bytes& b) { b.u32(tU64).u64(1).u64(~0ull); });
    g.kv("arr.empty", tArray, [](Bytes& b) { b.u32(tI64).u64(0); });
    g.kv("arr.nested", tArray, [](Bytes& b) {
        b.u32(tArray).u64(2);
        b.u32(tString).u64(1).str("x");
        b.u32(tArray).u64(1).u32(tI16).u64(2).le<int16_t>(-7).le<int16_t>(8); // three levels deep
    });
    const std::string bytes = g.build();
    const auto f = parse(bytes);

    QCOMPARE(f->version(), version);
    QCOMPARE(f->metadata().size(), size_t(21));
    QCOMPARE(f->metadata()[0].first, std::string("u8")); // file order is kept
    QCOMPARE(f->find("u8")->type, GgufType::Uint8);
    QCOMPARE(*f->findInt("u8"), int64_t(250));
    QCOMPARE(*f->findInt("i8"), int64_t(-5));
    QCOMPARE(*f->findInt("u16"), int64_t(65000));
    QCOMPARE(*f->findInt("i16"), int64_t(-30000));
    QCOMPARE(*f->findInt("u32"), int64_t(4000000000ll));
    QCOMPARE(*f->findInt("i32"), int64_t(-2000000000));
    QCOMPARE(*f->findFloat("f32"), 1.5);
    QCOMPARE(*f->findBool("bool"), true);
    QCOMPARE(*f->findString("str"), std::string("héllo"));
    QCOMPARE(f->find("u64")->u, 0xfffffffffffffffeull);
    QCOMPARE(f->find("u64")->i, int64_t(-2)); // bit pattern kept
    QCOMPARE(*f->findInt("i64"), int64_t(-9000000000ll));
    QCOMPARE(f->getFloat("f64"), -2.25);
    QCOMPARE(f->getFloat("i32"), -2000000000.0); // ints convert

    const GgufValue& ai = f->getArray("arr.i32");
    QCOMPARE(ai.arrayType, GgufType::Int32);
    QCOMPARE(ai.arrayLength, uint64_t(3));
    QCOMPARE(ai.ints, (std::vector<int64_t>{1, -2, 3}));
    QCOMPARE(f->getArray("arr.u8").ints, (std::vector<int64_t>{0, 255}));
    QCOMPARE(f->getArray("arr.f32").floats, (std::vector<double>{0.5, -1.0}));
    QCOMPARE(f->getArray("arr.f64").floats, (std::vector<double>{3.25}));
    QCOMPARE(f->getArray("arr.bool").ints, (std::vector<int64_t>{1, 0, 1}));
    QCOMPARE(f->getArray("arr.str").strings, (std::vector<std::string>{"<s>", "", "world"}));
    QCOMPARE(f->getArray("arr.u64").ints, (std::vector<int64_t>{-1}));
    QCOMPARE(f->getArray("arr.empty").arrayLength, uint64_t(0));
    const GgufValue& nested = f->getArray("arr.nested");
    QCOMPARE(nested.arrayType, GgufType::Array);
    QCOMPARE(nested.nested.size(), size_t(2));
    QCOMPARE(nested.nested[0].strings, (std::vector<std::string>{"x"}));
    QCOMPARE(nested.nested[1].arrayType, GgufType::Array);
    QCOMPARE(nested.nested[1].nested[0].ints, (std::vector<int64_t>{-7, 8}));
    QCOMPARE(f->tensorEntries().size(), size_t(0));
}

void TestGguf::readsTensorsFromMappedFile()
{
    Gguf g;
    g.kv("general.architecture", tString, [](Bytes& b) { b.str("test"); });
    g.tensor("f32", {4, 3}, 0, 0);       // [3, 4]: 48 bytes
    g.tensor("f16", {2, 1, 2}, 1, 64);   // [2, 1, 2]: 8 bytes
    g.tensor("bf16", {2}, 30, 96);       // 4 bytes
    g.tensor("q8", {32, 2}, 8, 128);     // [2, 32]: 68 bytes
    g.tensor("q4", {64}, 2, 224);        // 2 blocks of 18 = 36 bytes
    Bytes& d = g.data;
    for (int k = 0; k < 12; ++k)
        d.le<float>(float(k) * 0.5f);
    d.pad(32);
    for (int k = 0; k < 4; ++k)
        d.le<uint16_t>(uint16_t(0x3c00 + k));
    d.pad(32);
    d.le<uint16_t>(0x3f80).le<uint16_t>(0x4000);
    d.pad(32);
    for (int k = 0; k < 68; ++k)
        d.u8(uint8_t(k));
    d.pad(32);
    for (int k = 0; k < 36; ++k)
        d.u8(uint8_t(200 - k));
    const std::string bytes = g.build();

    test::TempDir dir;
    const std::string path = dir.file("m.gguf");
    test::writeFile(path, bytes);
    GgufFile f(path);
    QCOMPARE(f.path(), path);
    QCOMPARE(f.tensorEntries().size(), size_t(5));
    const uint64_t dataStart = bytes.size() - d.size();
    QCOMPARE(f.dataOffset(), dataStart);

    const TensorEntry& e = f.tensorEntries()[0];
    QCOMPARE(e.name, std::string("f32"));
    QCOMPARE(e.typeName, std::string("F32"));
    QCOMPARE(*e.dtype, DType::F32);
    QCOMPARE(e.shape, (Shape{3, 4})); // reversed into row-major
    QCOMPARE(e.bytes, uint64_t(48));
    QCOMPARE(e.file, path);

    const WeightView w = f.weight("f32");
    QCOMPARE(w.dtype, DType::F32);
    QCOMPARE(w.bytes, uint64_t(48));
    QCOMPARE(w.shape, (Shape{3, 4}));
    float v[12];
    std::memcpy(v, w.data, sizeof v);
    QCOMPARE(v[5], 2.5f);
    QCOMPARE(f.tensorOffset("f32"), dataStart);
    QCOMPARE(f.ggmlType("q8"), 8u);

    QCOMPARE(f.weight("f16").shape, (Shape{2, 1, 2}));
    QCOMPARE(*static_cast<const uint16_t*>(f.weight("f16").data), uint16_t(0x3c00));
    QCOMPARE(f.weight("bf16").dtype, DType::BF16);
    QCOMPARE(*static_cast<const uint16_t*>(f.weight("bf16").data), uint16_t(0x3f80));
    const WeightView q8 = f.weight("q8");
    QCOMPARE(q8.dtype, DType::Q8_0);
    QCOMPARE(q8.shape, (Shape{2, 32}));
    QCOMPARE(q8.bytes, uint64_t(68));
    QCOMPARE(static_cast<const uint8_t*>(q8.data)[67], uint8_t(67));
    QCOMPARE(f.tensorOffset("q8"), dataStart + 128);
    const WeightView q4 = f.weight("q4");
    QCOMPARE(q4.dtype, DType::Q4_0);
    QCOMPARE(q4.bytes, uint64_t(36));
    QCOMPARE(static_cast<const uint8_t*>(q4.data)[0], uint8_t(200));
    QCOMPARE(f.totalTensorBytes(), uint64_t(48 + 8 + 4 + 68 + 36));
    QVERIFY(f.has("q4"));
    QVERIFY(!f.has("nope"));
    try {
        f.weight("nope");
        QFAIL("no error");
    } catch (const Error& err) {
        QCOMPARE(err.code(), ErrorCode::MissingField);
        QCOMPARE(err.field(), std::string("tensor nope"));
    }
}

void TestGguf::honoursAlignment()
{
    Gguf g;
    g.alignment = 64;
    g.kv("general.alignment", tU32, [](Bytes& b) { b.u32(64); });
    g.tensor("a", {3}, 0, 0);
    g.tensor("b", {1}, 0, 64);
    g.data.le<float>(1).le<float>(2).le<float>(3).pad(64).le<float>(9);
    const std::string bytes = g.build();
    const auto f = parse(bytes);
    QCOMPARE(f->alignment(), 64u);
    QCOMPARE(f->dataOffset() % 64, uint64_t(0));
    QCOMPARE(*static_cast<const float*>(f->weight("b").data), 9.0f);

    // Offset 32 is fine at the default alignment but not at 64.
    Gguf bad;
    bad.alignment = 64;
    bad.kv("general.alignment", tU32, [](Bytes& b) { b.u32(64); });
    bad.tensor("a", {1}, 0, 32);
    bad.data.pad(1);
    for (int k = 0; k < 64; ++k)
        bad.data.u8(0);
    try {
        parse(bad.build());
        QFAIL("no error");
    } catch (const Error& e) {
        QCOMPARE(e.code(), ErrorCode::BadValue);
        QCOMPARE(e.field(), std::string("tensor a"));
    }
}

void TestGguf::namesTypesWeCannotCompute()
{
    Gguf g;
    g.tensor("blk.0.ffn_down_exps.weight", {256, 2}, 16, 0); // IQ2_XXS: 2 x 66 bytes
    g.tensor("x", {4}, 28, 160);                               // F64
    for (int k = 0; k < 160 + 32; ++k)
        g.data.u8(0);
    const auto f = parse(g.build());
    const TensorEntry& e = f->tensorEntries()[0];
    QCOMPARE(e.typeName, std::string("IQ2_XXS"));
    QVERIFY(!e.dtype);
    QCOMPARE(e.bytes, uint64_t(132));
    QCOMPARE(f->tensorEntries()[1].typeName, std::string("F64"));
    try {
        f->weight("blk.0.ffn_down_exps.weight");
        QFAIL("no error");
    } catch (const Error& err) {
        QCOMPARE(err.code(), ErrorCode::UnsupportedType);
        QCOMPARE(err.field(), std::string("tensor blk.0.ffn_down_exps.weight"));
        QVERIFY(std::string(err.what()).find("blk.0.ffn_down_exps.weight: tensor type IQ2_XXS is not supported yet")
                != std::string::npos);
    }
}

void TestGguf::typedLookups()
{
    const std::string bytes = smallValidFile();
    const auto f = parse(bytes);
    QCOMPARE(f->getString("general.architecture"), std::string("qwen3moe"));
    QVERIFY(!f->findInt("absent"));
    auto expectCode = [](const std::function<void()>& fn, ErrorCode code, const std::string& field) {
        try {
            fn();
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.code(), code);
            QCOMPARE(e.field(), field);
            QCOMPARE(e.file(), std::string("mem.gguf"));
        }
    };
    expectCode([&] { f->getInt("absent"); }, ErrorCode::MissingField, "absent");
    expectCode([&] { f->getString("n"); }, ErrorCode::BadValue, "n");
    expectCode([&] { f->findInt("general.architecture"); }, ErrorCode::BadValue, "general.architecture");
    expectCode([&] { f->getArray("n"); }, ErrorCode::BadValue, "n");
    expectCode([&] { f->getArray("absent"); }, ErrorCode::MissingField, "absent");
    expectCode([&] { f->findBool("n"); }, ErrorCode::BadValue, "n");
}

void TestGguf::everyTruncationThrows_data()
{
    QTest::addColumn<uint32_t>("version");
    QTest::newRow("v2") << 2u;
    QTest::newRow("v3") << 3u;
}

void TestGguf::everyTruncationThrows()
{
    QFETCH(uint32_t, version);
    const std::string full = smallValidFile(version);
    QVERIFY(parse(full)->has("b"));
    for (size_t len = 0; len < full.size(); ++len) {
        // An exact-size heap copy, so a read past the end would hit the allocation's edge.
        std::unique_ptr<uint8_t[]> copy(new uint8_t[len + 1]);
        std::memcpy(copy.get(), full.data(), len);
        try {
            GgufFile::fromMemory(copy.get(), len, "cut.gguf");
            QFAIL(qPrintable(QString("prefix of %1 bytes parsed").arg(len)));
        } catch (const Error& e) {
            QCOMPARE(e.file(), std::string("cut.gguf"));
            QVERIFY2(!e.field().empty(), e.what());
        }
    }
}

void TestGguf::rejectsBadInput_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("field");
    auto row = [](const char* name, const std::string& b, ErrorCode code, const char* field) {
        QTest::newRow(name) << QByteArray(b.data(), qsizetype(b.size())) << int(code) << QString(field);
    };
    auto f32Tensor = [](std::vector<uint64_t> dims, uint32_t type, uint64_t offset, size_t dataBytes) {
        Gguf g;
        g.tensor("w", std::move(dims), type, offset);
        for (size_t k = 0; k < dataBytes; ++k)
            g.data.u8(0);
        return g.build();
    };

    std::string wrongMagic = smallValidFile();
    wrongMagic[0] = 'X';
    row("wrong magic", wrongMagic, ErrorCode::BadMagic, "magic");
    Gguf v1;
    v1.version = 1;
    row("version 1", v1.build(), ErrorCode::BadValue, "version");
    Gguf v4;
    v4.version = 4;
    row("version 4", v4.build(), ErrorCode::BadValue, "version");
    Gguf bigEndian;
    bigEndian.version = 0x03000000;
    row("big endian", bigEndian.build(), ErrorCode::BadValue, "version");

    row("offset past end", f32Tensor({4}, 0, 1ull << 40, 16), ErrorCode::Overflow, "tensor w");
    row("offset overflows", f32Tensor({4}, 0, ~0ull - 31, 16), ErrorCode::Overflow, "tensor w");
    row("data past end", f32Tensor({8}, 0, 0, 16), ErrorCode::Truncated, "tensor w");
    row("dims product overflow", f32Tensor({1ull << 32, 1ull << 32}, 0, 0, 16), ErrorCode::Overflow, "tensor w");
    row("dim over int64", f32Tensor({1ull << 63}, 0, 0, 16), ErrorCode::Overflow, "tensor w");
    row("bytes overflow", f32Tensor({1ull << 62}, 0, 0, 16), ErrorCode::Overflow, "tensor w");
    row("zero dim", f32Tensor({4, 0}, 0, 0, 16), ErrorCode::BadValue, "tensor w");
    row("misaligned offset", f32Tensor({1}, 0, 4, 16), ErrorCode::BadValue, "tensor w");
    row("unknown type id", f32Tensor({4}, 77, 0, 16), ErrorCode::UnsupportedType, "tensor w");
    row("removed type id", f32Tensor({4}, 4, 0, 16), ErrorCode::UnsupportedType, "tensor w");
    row("partial block", f32Tensor({16}, 8, 0, 64), ErrorCode::BadValue, "tensor w");
    row("rank 5", f32Tensor({1, 1, 1, 1, 1}, 0, 0, 16), ErrorCode::BadValue, "tensor w");
    row("rank 0", f32Tensor({}, 0, 0, 16), ErrorCode::BadValue, "tensor w");

    Gguf hugeString;
    hugeString.kvs.u64(1ull << 62).raw("abcdefghijklmnop", 16);
    hugeString.kvCount = 1;
    row("huge key length", hugeString.build(), ErrorCode::Truncated, "metadata key #0");
    Gguf hugeValue;
    hugeValue.kv("k", tString, [](Bytes& b) { b.u64(~0ull).raw("x", 1); });
    row("huge string length", hugeValue.build(), ErrorCode::Truncated, "k");
    Gguf hugeArray;
    hugeArray.kv("arr", tArray, [](Bytes& b) { b.u32(tU64).u64(1ull << 61).u64(1); });
    row("huge array count", hugeArray.build(), ErrorCode::Truncated, "arr");
    Gguf hugeNested;
    hugeNested.kv("arr", tArray, [](Bytes& b) { b.u32(tArray).u64(~0ull); });
    row("huge nested count", hugeNested.build(), ErrorCode::Truncated, "arr");
    Gguf deep;
    deep.kv("deep", tArray, [](Bytes& b) {
        for (int k = 0; k < 20; ++k)
            b.u32(tArray).u64(1);
        b.u32(tU8).u64(0);
    });
    row("arrays nested too deep", deep.build(), ErrorCode::BadValue, "deep");
    Gguf hugeKvCount;
    hugeKvCount.kvCount = 1ull << 60;
    row("huge kv count", hugeKvCount.build(), ErrorCode::Truncated, "metadata count");
    Gguf hugeTensorCount;
    hugeTensorCount.tensorCount = 1ull << 60;
    row("huge tensor count", hugeTensorCount.build(), ErrorCode::Truncated, "tensor count");
    Gguf dupKey;
    dupKey.kv("a", tU8, [](Bytes& b) { b.u8(1); }).kv("a", tU8, [](Bytes& b) { b.u8(2); });
    row("duplicate key", dupKey.build(), ErrorCode::BadValue, "a");
    Gguf emptyKey;
    emptyKey.kv("", tU8, [](Bytes& b) { b.u8(1); });
    row("empty key", emptyKey.build(), ErrorCode::BadValue, "metadata key #0");
    Gguf badType;
    badType.kv("t", 13, [](Bytes& b) { b.u8(1); });
    row("unknown value type", badType.build(), ErrorCode::UnsupportedType, "t");
    Gguf badElemType;
    badElemType.kv("t", tArray, [](Bytes& b) { b.u32(99).u64(0); });
    row("unknown array element type", badElemType.build(), ErrorCode::UnsupportedType, "t");
    Gguf badBool;
    badBool.kv("b", tBool, [](Bytes& b) { b.u8(2); });
    row("bool not 0 or 1", badBool.build(), ErrorCode::BadValue, "b");
    for (uint32_t a : {0u, 3u, 48u}) {
        Gguf g;
        g.kv("general.alignment", tU32, [a](Bytes& b) { b.u32(a); });
        row(qPrintable(QString("alignment %1").arg(a)), g.build(), ErrorCode::BadValue, "general.alignment");
    }
    Gguf floatAlign;
    floatAlign.kv("general.alignment", tF32, [](Bytes& b) { b.le<float>(32); });
    row("alignment not integer", floatAlign.build(), ErrorCode::BadValue, "general.alignment");
    Gguf dupTensor;
    dupTensor.tensor("w", {1}, 0, 0).tensor("w", {1}, 0, 32);
    dupTensor.data.raw("0123456789012345678901234567890123456789", 40);
    row("duplicate tensor", dupTensor.build(), ErrorCode::BadValue, "tensor w");
    Gguf overlap;
    overlap.tensor("a", {16}, 0, 0).tensor("w", {8}, 0, 32);
    for (int k = 0; k < 64; ++k)
        overlap.data.u8(0);
    row("overlapping tensors", overlap.build(), ErrorCode::BadValue, "tensor w");
    Gguf emptyName;
    emptyName.tensor("", {1}, 0, 0);
    emptyName.data.u8(0).u8(0).u8(0).u8(0);
    row("empty tensor name", emptyName.build(), ErrorCode::BadValue, "tensor #0");
}

void TestGguf::rejectsBadInput()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, code);
    QFETCH(QString, field);
    try {
        GgufFile::fromMemory(reinterpret_cast<const uint8_t*>(bytes.constData()), uint64_t(bytes.size()), "bad.gguf");
        QFAIL("parsed without error");
    } catch (const Error& e) {
        QCOMPARE(e.file(), std::string("bad.gguf"));
        QCOMPARE(QString::fromStdString(e.field()), field);
        QVERIFY2(int(e.code()) == code, e.what());
    }
}

void TestGguf::ioErrorsNameThePath()
{
    test::TempDir dir;
    try {
        GgufFile f(dir.file("missing.gguf"));
        QFAIL("no error");
    } catch (const Error& e) {
        QCOMPARE(e.code(), ErrorCode::Io);
        QCOMPARE(e.file(), dir.file("missing.gguf"));
    }
    test::writeFile(dir.file("v1.gguf"), std::string("GGUF\x01\0\0\0", 8));
    try {
        GgufFile f(dir.file("v1.gguf"));
        QFAIL("no error");
    } catch (const Error& e) {
        QCOMPARE(e.code(), ErrorCode::BadValue);
        QCOMPARE(e.file(), dir.file("v1.gguf"));
        QCOMPARE(e.field(), std::string("version"));
    }
}

void TestGguf::writerMatchesHandBuiltBytes()
{
    const float a[6] = {1, 2, 3, 4, 5, 6};
    uint8_t q[34];
    for (int k = 0; k < 34; ++k)
        q[k] = uint8_t(k + 1);
    GgufWriter w;
    w.setString("general.architecture", "mixtral");
    w.setUint32("n", 8);
    w.setInt32("i", -3);
    w.setUint64("big", 1ull << 40);
    w.setFloat32("eps", 0.25f);
    w.setBool("flag", true);
    w.setStringArray("toks", {"a", "bcd"});
    w.setInt32Array("ints", {5, -6});
    w.setFloat32Array("floats", {0.5f});
    w.setAlignment(64);
    w.setUint32("n", 9); // replaces in place, keeps its position
    w.addTensor("a", DType::F32, Shape{2, 3}, a, sizeof a);
    w.addTensor("q", DType::Q8_0, Shape{1, 32}, q, sizeof q);

    Gguf g;
    g.alignment = 64;
    g.kv("general.architecture", tString, [](Bytes& b) { b.str("mixtral"); });
    g.kv("n", tU32, [](Bytes& b) { b.u32(9); });
    g.kv("i", tI32, [](Bytes& b) { b.le<int32_t>(-3); });
    g.kv("big", tU64, [](Bytes& b) { b.u64(1ull << 40); });
    g.kv("eps", tF32, [](Bytes& b) { b.le<float>(0.25f); });
    g.kv("flag", tBool, [](Bytes& b) { b.u8(1); });
    g.kv("toks", tArray, [](Bytes& b) { b.u32(tString).u64(2).str("a").str("bcd"); });
    g.kv("ints", tArray, [](Bytes& b) { b.u32(tI32).u64(2).le<int32_t>(5).le<int32_t>(-6); });
    g.kv("floats", tArray, [](Bytes& b) { b.u32(tF32).u64(1).le<float>(0.5f); });
    g.kv("general.alignment", tU32, [](Bytes& b) { b.u32(64); });
    g.tensor("a", {3, 2}, 0, 0);
    g.tensor("q", {32, 1}, 8, 64);
    g.data.raw(a, sizeof a).pad(64).raw(q, sizeof q);
    const std::string expected = g.build();

    test::TempDir dir;
    const std::string path = dir.file("w.gguf");
    w.write(path);
    const std::string written = test::readFile(path);
    QCOMPARE(written.size(), expected.size());
    QVERIFY(written == expected);

    GgufFile f(path); // and the reader agrees
    QCOMPARE(f.version(), 3u);
    QCOMPARE(f.weight("q").shape, (Shape{1, 32}));
    QCOMPARE(std::memcmp(f.weight("a").data, a, sizeof a), 0);

    // Nothing but the result is left in the folder (the temporary was renamed).
    w.write(path);
    int files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path()))
        ++files;
    QCOMPARE(files, 1);
}

void TestGguf::writerRejectsBadArguments()
{
    GgufWriter w;
    const float a[4] = {};
    auto expectInvalid = [](const std::function<void()>& fn) {
        try {
            fn();
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.code(), ErrorCode::InvalidArgument);
        }
    };
    expectInvalid([&] { w.setAlignment(24); });
    expectInvalid([&] { w.addTensor("a", DType::F32, Shape{2, 2}, a, 12); });
    expectInvalid([&] { w.addTensor("a", DType::Q8_0, Shape{1, 4}, a, 16); });
    expectInvalid([&] { w.addTensor("a", DType::F32, Shape{0, 4}, a, 0); });
    w.addTensor("a", DType::F32, Shape{4}, a, 16);
    expectInvalid([&] { w.addTensor("a", DType::F32, Shape{4}, a, 16); });
    test::TempDir dir;
    try {
        w.write(dir.file("no/such/dir/x.gguf"));
        QFAIL("no error");
    } catch (const Error& e) {
        QCOMPARE(e.code(), ErrorCode::Io);
        QCOMPARE(e.file(), dir.file("no/such/dir/x.gguf"));
    }
}

void TestGguf::typeNames()
{
    QCOMPARE(std::string(ggmlTypeName(12)), std::string("Q4_K"));
    QCOMPARE(std::string(ggmlTypeName(16)), std::string("IQ2_XXS"));
    QCOMPARE(std::string(ggmlTypeName(39)), std::string("MXFP4"));
    QCOMPARE(std::string(ggmlTypeName(77)), std::string("type 77"));
    QCOMPARE(*dtypeFromGgml(30), DType::BF16);
    QCOMPARE(*dtypeFromGgml(12), DType::Q4_K);
    QVERIFY(!dtypeFromGgml(16)); // IQ2_XXS: known by name, not computable
    for (int i = 0; i < kDTypeCount; ++i)
        QCOMPARE(*dtypeFromGgml(ggmlTypeFromDType(DType(i))), DType(i));
    QCOMPARE(std::string(ggufTypeName(GgufType::Float64)), std::string("float64"));
}

QTEST_APPLESS_MAIN(TestGguf)
#include "test_gguf.moc"

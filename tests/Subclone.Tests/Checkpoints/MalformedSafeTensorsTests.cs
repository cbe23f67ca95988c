using Subclone.Checkpoints;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Checkpoints;

/// <summary>Every way a .safetensors file can be broken is reported as one CheckpointException naming the file,
/// the problem and, where there is one, the tensor. The files are generated here, not committed.</summary>
public sealed class MalformedSafeTensorsTests : IDisposable
{
    readonly TempDir _temp = new();
    readonly string _path;

    public MalformedSafeTensorsTests() => _path = _temp["broken.safetensors"];

    public void Dispose() => _temp.Dispose();

    static byte[] Floats(int count) => Enumerable.Range(0, count).SelectMany(i => BitConverter.GetBytes((float)i)).ToArray();

    static string Entry(string name, string dtype, string shape, string offsets) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":{offsets}}}";

    /// <summary>Opens the file expecting failure; checks the message starts with the path and contains each fragment.</summary>
    CheckpointException Rejected(params string[] fragments)
    {
        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Open(_path).Dispose());
        Assert.Equal(_path, e.Path);
        Assert.StartsWith(_path + ": ", e.Message);
        foreach (var fragment in fragments) Assert.Contains(fragment, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Fact]
    public void A_well_formed_crafted_file_opens_so_the_failures_below_are_the_defects()
    {
        RawSafeTensors.Write(_path, "{" + Entry("w", "F32", "[2,3]", "[0,24]") + "," + Entry("e", "F32", "[0]", "[24,24]") + "}", Floats(6));
        using var file = SafeTensorsFile.Open(_path);
        using var w = file.ReadRaw("w");
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5 }, w.data<float>().ToArray());
        Assert.Equal(0, file.Entry("e").ElementCount);
    }

    [Fact]
    public void File_shorter_than_the_length_prefix()
    {
        File.WriteAllBytes(_path, [1, 2, 3, 4, 5]);
        Rejected("shorter than", "8-byte");
    }

    [Fact]
    public void Header_length_larger_than_the_file()
    {
        RawSafeTensors.Write(_path, "{}      ", declaredHeaderLength: 1000);
        Rejected("header length 1000", "past the end");
    }

    [Fact]
    public void Header_length_over_100_MB_is_refused_before_reading_it()
    {
        // A sparse file long enough to hold the declared header, so only the size limit can object.
        RawSafeTensors.Write(_path, "{}", declaredHeaderLength: 120_000_000);
        using (var stream = new FileStream(_path, FileMode.Open)) stream.SetLength(150_000_000);
        Rejected("120000000", "100 MB limit");
    }

    [Fact]
    public void Header_length_with_the_top_bit_set_is_not_read_as_negative()
    {
        RawSafeTensors.Write(_path, "{}", declaredHeaderLength: -1);
        Rejected(ulong.MaxValue.ToString(), "limit");
    }

    [Fact]
    public void Header_too_short_for_JSON()
    {
        RawSafeTensors.Write(_path, "{", declaredHeaderLength: 1);
        Rejected("header length 1", "too small");
    }

    [Fact]
    public void Header_that_is_not_valid_JSON()
    {
        RawSafeTensors.Write(_path, "{\"w\":{\"dtype\":", Floats(1));
        Rejected("not valid JSON");
    }

    [Fact]
    public void JSON_error_quoting_a_newline_stays_on_one_line()
    {
        // The parser quotes the bad literal, newline and all (found by fuzzing, fuzz/crashes/safetensors).
        RawSafeTensors.Write(_path, "{\"w\":tru\ne}", Floats(1));
        Rejected("not valid JSON", "at line 1");
    }

    [Fact]
    public void Header_that_is_not_valid_UTF8()
    {
        byte[] header = [.. "{\""u8, 0xC6, .. "\":{}}"u8];
        File.WriteAllBytes(_path, [.. BitConverter.GetBytes((long)header.Length), .. header]);
        Rejected("not valid UTF-8");
    }

    [Theory]
    [InlineData("[1, 2, 3]")]
    [InlineData("\"tensors\"")]
    public void Header_that_is_not_an_object(string header)
    {
        RawSafeTensors.Write(_path, header);
        Rejected("not a JSON object");
    }

    [Fact]
    public void Metadata_that_is_not_an_object()
    {
        RawSafeTensors.Write(_path, "{\"__metadata__\":[\"pt\"]," + Entry("w", "F32", "[1]", "[0,4]") + "}", Floats(1));
        Rejected("__metadata__");
    }

    [Fact]
    public void Entry_without_data_offsets()
    {
        RawSafeTensors.Write(_path, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", Floats(1));
        Rejected("'w'", "malformed header entry");
    }

    [Fact]
    public void Unknown_dtype()
    {
        RawSafeTensors.Write(_path, "{" + Entry("w", "Q4", "[2]", "[0,1]") + "}", [0]);
        Rejected("'w'", "unknown dtype 'Q4'");
    }

    [Fact]
    public void Shape_whose_byte_size_disagrees_with_the_offsets()
    {
        RawSafeTensors.Write(_path, "{" + Entry("w", "F32", "[2,3]", "[0,20]") + "}", Floats(6));
        Rejected("'w'", "occupies 20 bytes", "[2, 3]", "needs 24");
    }

    [Fact]
    public void Offsets_beyond_the_data_section()
    {
        RawSafeTensors.Write(_path, "{" + Entry("w", "F32", "[100]", "[0,400]") + "}", Floats(6));
        Rejected("'w'", "[0, 400]", "past the end of the 24-byte data section");
    }

    [Theory]
    [InlineData("[16,8]")]
    [InlineData("[-4,0]")]
    [InlineData("[\"0\",\"4\"]")]
    public void Offsets_that_are_not_a_range(string offsets)
    {
        RawSafeTensors.Write(_path, "{" + Entry("w", "F32", "[1]", offsets) + "}", Floats(6));
        Rejected("'w'", "invalid data offsets");
    }

    [Fact]
    public void Overlapping_tensors()
    {
        RawSafeTensors.Write(_path, "{" + Entry("a", "F32", "[4]", "[0,16]") + "," + Entry("b", "F32", "[4]", "[8,24]") + "}", Floats(6));
        Rejected("'a' and 'b' overlap");
    }

    [Fact]
    public void Duplicate_tensor_names()
    {
        RawSafeTensors.Write(_path, "{" + Entry("w", "F32", "[2]", "[0,8]") + "," + Entry("w", "F32", "[2]", "[8,16]") + "}", Floats(4));
        Rejected("'w'", "appears twice");
    }

    [Fact]
    public void Data_section_truncated()
    {
        RawSafeTensors.Write(_path, "{" + Entry("w", "F32", "[2,3]", "[0,24]") + "}", Floats(3));
        Rejected("'w'", "truncated");
    }

    [Fact]
    public void Data_truncated_after_the_file_was_opened()
    {
        // The tensor lies past what opening the file could have buffered, so it must really be read from disk.
        const int padding = 1 << 20;
        RawSafeTensors.Write(_path, "{" + Entry("pad", "U8", $"[{padding}]", $"[0,{padding}]") + "," + Entry("w", "F32", "[2,3]", $"[{padding},{padding + 24}]") + "}",
            [.. new byte[padding], .. Floats(6)]);
        using var file = SafeTensorsFile.Open(_path);
        using (var shrink = new FileStream(_path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) shrink.SetLength(new FileInfo(_path).Length - 8);

        var e = Assert.Throws<CheckpointException>(() => file.ReadRaw("w").Dispose());
        Assert.StartsWith(_path + ": ", e.Message);
        Assert.Contains("'w' is truncated", e.Message);
    }

    [Theory]
    [InlineData("[-2,3]", "-2")]
    [InlineData("[2,1.5]", "1.5")]
    [InlineData("[2,\"3\"]", "\"3\"")]
    public void Invalid_dimensions(string shape, string dimension)
    {
        RawSafeTensors.Write(_path, "{" + Entry("w", "F32", shape, "[0,24]") + "}", Floats(6));
        Rejected("'w'", $"invalid dimension {dimension}");
    }

    [Fact]
    public void Shape_too_large_to_count()
    {
        RawSafeTensors.Write(_path, "{" + Entry("w", "F32", "[4294967296,4294967296,4294967296]", "[0,24]") + "}", Floats(6));
        Rejected("'w'", "impossibly large");
    }

    [Fact]
    public void Asking_for_a_tensor_the_file_lacks()
    {
        RawSafeTensors.Write(_path, "{" + Entry("w", "F32", "[6]", "[0,24]") + "}", Floats(6));
        using var file = SafeTensorsFile.Open(_path);
        var e = Assert.Throws<CheckpointException>(() => file.ReadRaw("v"));
        Assert.Equal($"{_path}: has no tensor 'v'", e.Message);
        Assert.Equal(ScalarType.Float32, file.Entry("w").Dtype);
    }
}

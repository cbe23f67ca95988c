using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Models;
using Subclone.Tests.Models;
using Subclone.Tests.Support;
using Subclone.Models.Families;

namespace Subclone.Tests.Checkpoints;

/// <summary>model.safetensors as Hugging Face writes it: format metadata, HF key names, an 8-aligned header, packed data.</summary>
public class SavedHeaderTests
{
    public static TheoryData<string> DecoderFixtures => FixtureLogitsTests.DecoderFixtures;

    static (LoadedModel Loaded, string File) SaveFixture(string fixture, TempDir temp)
    {
        var loaded = HfCheckpoint.Load(SharedData.Fixture(fixture));
        HfCheckpoint.Save(loaded.Model, temp["saved"], loaded.StoredDtype);
        return (loaded, Path.Combine(temp["saved"], HfCheckpoint.SingleFile));
    }

    [SharedTheory]
    [MemberData(nameof(DecoderFixtures))]
    public void Header_is_8_byte_aligned_and_carries_pt_format_metadata(string fixture)
    {
        using var temp = new TempDir();
        var (_, file) = SaveFixture(fixture, temp);
        var (length, text) = RawSafeTensors.ReadHeader(file);

        Assert.Equal(0, length % 8);
        Assert.Equal(length, System.Text.Encoding.UTF8.GetByteCount(text));
        var header = (JsonObject)JsonNode.Parse(text)!;
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["format"] = "pt" }, header["__metadata__"]), $"__metadata__ is {header["__metadata__"]?.ToJsonString()}");
    }

    [SharedTheory]
    [MemberData(nameof(DecoderFixtures))]
    public void Tensors_are_packed_in_order_in_the_stored_dtype(string fixture)
    {
        using var temp = new TempDir();
        var (loaded, file) = SaveFixture(fixture, temp);
        var (length, _) = RawSafeTensors.ReadHeader(file);
        var header = RawSafeTensors.ReadHeaderJson(file);

        long next = 0;
        foreach (var (name, entry) in header.Where(kv => kv.Key != "__metadata__").OrderBy(kv => kv.Value!["data_offsets"]![0]!.GetValue<long>()))
        {
            Assert.Equal(SafeTensorsDtype.NameOf(loaded.StoredDtype), entry!["dtype"]!.GetValue<string>());
            var offsets = entry["data_offsets"]!.AsArray().Select(o => o!.GetValue<long>()).ToArray();
            Assert.True(offsets[0] == next, $"'{name}' starts at {offsets[0]}, not {next}");
            next = offsets[1];
        }
        Assert.Equal(new FileInfo(file).Length - 8 - length, next);
    }

    [SharedTheory]
    [MemberData(nameof(DecoderFixtures))]
    public void Keys_are_the_HF_names_of_the_original_tensors(string fixture)
    {
        using var temp = new TempDir();
        var (loaded, file) = SaveFixture(fixture, temp);
        var saved = RawSafeTensors.ReadHeaderJson(file).Select(kv => kv.Key).Where(k => k != "__metadata__").ToHashSet();
        var original = RawSafeTensors.ReadHeaderJson(Path.Combine(SharedData.Fixture(fixture), HfCheckpoint.SingleFile))
            .Select(kv => kv.Key).Where(k => k != "__metadata__").Select(loaded.Model.CanonicalName).OfType<string>().ToHashSet();

        Assert.Equal(original.Order(StringComparer.Ordinal), saved.Order(StringComparer.Ordinal));
        bool tied = loaded.Model.Config.TieWordEmbeddings;
        Assert.Equal(!tied, saved.Contains("lm_head.weight"));
        string prefix = loaded.Model.Config.Family.BlockPrefix.Split('.')[0] + ".";  // transformer. or model.
        Assert.All(saved.Where(k => k != "lm_head.weight"), k => Assert.StartsWith(prefix, k));
        Assert.DoesNotContain(saved, k => k.EndsWith(".attn.bias") || k.EndsWith(".attn.masked_bias") || k.EndsWith("rotary_emb.inv_freq"));
    }

    [SharedFact]
    public void Legacy_buffers_and_a_redundant_tied_head_are_read_past_and_not_written()
    {
        // Older GPT-2 checkpoints carry the causal-mask buffers; some tied checkpoints store lm_head.weight anyway.
        using var temp = new TempDir();
        string source = RawSafeTensors.CopyDirectory(SharedData.Fixture("gpt2-tiny"), temp["source"]);
        string weights = Path.Combine(source, HfCheckpoint.SingleFile);
        var tensors = new Dictionary<string, TorchSharp.torch.Tensor>();
        using (var file = SafeTensorsFile.Open(weights))
            foreach (var name in file.Names) tensors[name] = file.ReadRaw(name);
        tensors["h.0.attn.bias"] = TorchSharp.torch.ones(1, 1, 64, 64).tril();
        tensors["h.0.attn.masked_bias"] = TorchSharp.torch.tensor(-1e4f);
        tensors["lm_head.weight"] = tensors["wte.weight"].clone();
        SafeTensorsFile.Write(weights, tensors);

        var loaded = HfCheckpoint.Load(source);
        ModelAssert.BitIdentical(HfCheckpoint.Load(SharedData.Fixture("gpt2-tiny")).Model, loaded.Model);
        HfCheckpoint.Save(loaded.Model, temp["saved"], loaded.StoredDtype);
        var keys = RawSafeTensors.ReadHeaderJson(Path.Combine(temp["saved"], HfCheckpoint.SingleFile)).Select(kv => kv.Key).ToList();
        Assert.DoesNotContain("transformer.h.0.attn.bias", keys);
        Assert.DoesNotContain("transformer.h.0.attn.masked_bias", keys);
        Assert.DoesNotContain("lm_head.weight", keys);
        Assert.Contains("transformer.wte.weight", keys);
    }
}

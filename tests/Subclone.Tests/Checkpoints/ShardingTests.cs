using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Subclone.Checkpoints;
using Subclone.Tests.Models;
using Subclone.Tests.Support;

namespace Subclone.Tests.Checkpoints;

/// <summary>Above maxShardBytes, Save writes HF's numbered shards and index, and Load reads them back.</summary>
public partial class ShardingTests
{
    public static TheoryData<string> DecoderFixtures => FixtureLogitsTests.DecoderFixtures;

    const long MaxShardBytes = 16 * 1024;

    [GeneratedRegex(@"^model-(\d{5})-of-(\d{5})\.safetensors$")]
    private static partial Regex ShardName();

    [SharedTheory]
    [MemberData(nameof(DecoderFixtures))]
    public void Tiny_shard_limit_writes_numbered_shards(string fixture)
    {
        using var temp = new TempDir();
        var loaded = HfCheckpoint.Load(SharedData.Fixture(fixture));
        HfCheckpoint.Save(loaded.Model, temp["saved"], loaded.StoredDtype, maxShardBytes: MaxShardBytes);

        Assert.False(File.Exists(Path.Combine(temp["saved"], HfCheckpoint.SingleFile)));
        var shards = Directory.GetFiles(temp["saved"], "*.safetensors").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.True(shards.Count > 1, $"{fixture}: {shards.Count} shard(s)");
        for (int i = 0; i < shards.Count; i++)
        {
            var match = ShardName().Match(shards[i]!);
            Assert.True(match.Success, $"'{shards[i]}' is not named like HF's shards");
            Assert.Equal(i + 1, int.Parse(match.Groups[1].Value));
            Assert.Equal(shards.Count, int.Parse(match.Groups[2].Value));
        }
        foreach (var shard in shards)
        {
            string path = Path.Combine(temp["saved"], shard!);
            Assert.Equal(0, RawSafeTensors.ReadHeader(path).Length % 8);
            using var file = SafeTensorsFile.Open(path);
            Assert.Equal("pt", file.Metadata["format"]);
            long bytes = file.Entries.Sum(e => e.End - e.Begin);
            Assert.True(bytes <= MaxShardBytes || file.Entries.Count == 1, $"{shard} holds {bytes} bytes in {file.Entries.Count} tensors");
        }
    }

    [SharedTheory]
    [MemberData(nameof(DecoderFixtures))]
    public void Index_maps_every_tensor_to_the_shard_holding_it_and_totals_their_bytes(string fixture)
    {
        using var temp = new TempDir();
        var loaded = HfCheckpoint.Load(SharedData.Fixture(fixture));
        HfCheckpoint.Save(loaded.Model, temp["saved"], loaded.StoredDtype, maxShardBytes: MaxShardBytes);
        var index = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(temp["saved"], HfCheckpoint.IndexFile)))!;

        int elementSize = SafeTensorsDtype.SizeOf(loaded.StoredDtype);
        long expectedTotal = loaded.Model.state_dict().Values.Sum(t => t.numel() * elementSize);
        Assert.Equal(expectedTotal, index["metadata"]?["total_size"]?.GetValue<long>());

        var weightMap = index["weight_map"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>());
        Assert.Equal(loaded.Model.state_dict().Keys.Order(StringComparer.Ordinal), weightMap.Keys.Order(StringComparer.Ordinal));
        var shardFiles = Directory.GetFiles(temp["saved"], "*.safetensors").Select(Path.GetFileName).ToHashSet();
        Assert.Equal(shardFiles.Order(StringComparer.Ordinal), weightMap.Values.Distinct().Order(StringComparer.Ordinal));
        long dataBytes = 0;
        foreach (var shard in shardFiles)
        {
            using var file = SafeTensorsFile.Open(Path.Combine(temp["saved"], shard!));
            Assert.Equal(weightMap.Where(kv => kv.Value == shard).Select(kv => kv.Key).Order(StringComparer.Ordinal), file.Names.Order(StringComparer.Ordinal));
            dataBytes += new FileInfo(file.Path).Length - 8 - RawSafeTensors.ReadHeader(file.Path).Length;
        }
        Assert.Equal(expectedTotal, dataBytes);
    }

    [SharedTheory]
    [MemberData(nameof(DecoderFixtures))]
    public void Sharded_model_loads_back_identically(string fixture)
    {
        using var temp = new TempDir();
        var loaded = HfCheckpoint.Load(SharedData.Fixture(fixture));
        HfCheckpoint.Save(loaded.Model, temp["saved"], loaded.StoredDtype, maxShardBytes: MaxShardBytes);
        var reloaded = HfCheckpoint.Load(temp["saved"]);

        Assert.Equal(loaded.StoredDtype, reloaded.StoredDtype);
        ModelAssert.BitIdentical(loaded.Model, reloaded.Model);
    }
}

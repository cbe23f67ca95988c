using Subclone.Checkpoints;
using Subclone.Tests.Models;
using Subclone.Tests.Support;

namespace Subclone.Tests.Checkpoints;

/// <summary>Load → Save → Load reproduces every fixture exactly, in its stored dtype, and saving is deterministic.</summary>
public class CheckpointRoundTripTests
{
    public static TheoryData<string> DecoderFixtures => FixtureLogitsTests.DecoderFixtures;

    [SharedTheory]
    [MemberData(nameof(DecoderFixtures))]
    public void Round_trip_keeps_every_parameter_bit_for_bit_and_the_stored_dtype(string fixture)
    {
        using var temp = new TempDir();
        var original = HfCheckpoint.Load(SharedData.Fixture(fixture));
        HfCheckpoint.Save(original.Model, temp["saved"], original.StoredDtype);
        var reloaded = HfCheckpoint.Load(temp["saved"]);

        Assert.Equal(original.StoredDtype, reloaded.StoredDtype);
        ModelAssert.BitIdentical(original.Model, reloaded.Model);
    }

    [SharedTheory]
    [MemberData(nameof(DecoderFixtures))]
    public void Saved_tensors_hold_the_original_files_stored_bytes(string fixture)
    {
        using var temp = new TempDir();
        var original = HfCheckpoint.Load(SharedData.Fixture(fixture));
        HfCheckpoint.Save(original.Model, temp["saved"], original.StoredDtype);

        using var source = SafeTensorsFile.Open(Path.Combine(SharedData.Fixture(fixture), HfCheckpoint.SingleFile));
        using var saved = SafeTensorsFile.Open(Path.Combine(temp["saved"], HfCheckpoint.SingleFile));
        int compared = 0;
        foreach (var name in source.Names)
        {
            string? canonical = original.Model.CanonicalName(name);
            if (canonical is null) continue;
            using var expected = source.ReadRaw(name);
            using var actual = saved.ReadRaw(canonical);
            Assert.True(ModelAssert.BitEqual(expected, actual), $"{fixture}: '{name}' was not written back as stored");
            compared++;
        }
        Assert.Equal(saved.Names.Count(), compared);
    }

    [SharedTheory]
    [MemberData(nameof(DecoderFixtures))]
    public void Saving_the_reloaded_model_again_writes_identical_files(string fixture)
    {
        using var temp = new TempDir();
        var original = HfCheckpoint.Load(SharedData.Fixture(fixture));
        HfCheckpoint.Save(original.Model, temp["first"], original.StoredDtype);
        var reloaded = HfCheckpoint.Load(temp["first"]);
        HfCheckpoint.Save(reloaded.Model, temp["second"], reloaded.StoredDtype);

        foreach (var file in new[] { HfCheckpoint.SingleFile, HfCheckpoint.ConfigFile })
            Assert.True(File.ReadAllBytes(Path.Combine(temp["first"], file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(temp["second"], file))),
                $"{fixture}: {file} differs between two saves of the same weights");
    }
}

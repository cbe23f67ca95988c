using Subclone.Checkpoints;
using Subclone.Tests.Cli;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Checkpoints;

public class NonFiniteWeightTests
{
    static string ParentWithNan(TempDir dir, float poison)
    {
        var model = HfCheckpoint.Load(SharedData.Fixture("gpt2-tiny")).Model;
        using (no_grad()) model.state_dict()["transformer.h.1.mlp.c_fc.weight"][3, 5] = poison;
        HfCheckpoint.Save(model, dir["poisoned"], ScalarType.Float32);
        return dir["poisoned"];
    }

    [SharedTheory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void NaN_or_Inf_weights_are_refused_naming_the_tensor(float poison)
    {
        using var dir = new TempDir();
        string parent = ParentWithNan(dir, poison);

        var error = Assert.Throws<CheckpointException>(() => HfCheckpoint.Load(parent));
        Assert.Contains("'transformer.h.1.mlp.c_fc.weight' contains NaN or Inf", error.Message);

        var cli = CliRunner.Run("clone", parent, "--out", dir["child"], "--ratio", "0.5", "--select", "first");
        Assert.Equal(2, cli.ExitCode);
        Assert.Contains("--allow-nan", cli.Error);
        Assert.False(Directory.Exists(dir["child"]));
    }

    [SharedFact]
    public void Allow_nan_loads_with_a_warning()
    {
        using var dir = new TempDir();
        string parent = ParentWithNan(dir, float.NaN);

        Assert.Single(HfCheckpoint.Load(parent, allowNonFinite: true).Warnings);
        var cli = CliRunner.Run("clone", parent, "--out", dir["child"], "--ratio", "0.5", "--select", "first", "--allow-nan");
        Assert.True(cli.ExitCode == 0, cli.Error);
        Assert.Contains("warning", cli.Error);
        Assert.Contains("transformer.h.1.mlp.c_fc.weight", cli.Error);
    }
}

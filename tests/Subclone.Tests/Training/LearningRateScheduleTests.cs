using Subclone.Training;

namespace Subclone.Tests.Training;

public class LearningRateScheduleTests
{
    [Fact]
    public void Warmup_is_linear_to_the_peak()
    {
        var schedule = new LearningRateSchedule(1e-3, 1e-4, WarmupSteps: 10, TotalSteps: 100);

        Assert.Equal(1e-4, schedule.At(1), 12);
        Assert.Equal(5e-4, schedule.At(5), 12);
        Assert.Equal(1e-3, schedule.At(10), 12);
        for (int s = 1; s < 10; s++) Assert.Equal(1e-4, schedule.At(s + 1) - schedule.At(s), 12);
    }

    [Fact]
    public void Cosine_decay_ends_at_the_minimum_through_the_midpoint()
    {
        var schedule = new LearningRateSchedule(1e-3, 1e-4, WarmupSteps: 10, TotalSteps: 110);

        Assert.Equal(1e-4, schedule.At(110), 15);
        Assert.Equal((1e-3 + 1e-4) / 2, schedule.At(60), 12);
        for (int s = 10; s < 110; s++) Assert.True(schedule.At(s + 1) < schedule.At(s), $"not decreasing at step {s}");
        Assert.Equal(1e-4, schedule.At(500), 15);
    }

    [Fact]
    public void Default_options_decay_to_a_tenth_of_the_peak_after_ten_percent_warmup()
    {
        var schedule = new TrainingOptions { Steps = 200, LearningRate = 3e-3 }.Schedule;

        Assert.Equal((3e-3, 20, 200), (schedule.Peak, schedule.WarmupSteps, schedule.TotalSteps));
        Assert.Equal(3e-4, schedule.Min, 15);
        Assert.Equal(100, new TrainingOptions { Steps = 5000 }.WarmupStepsOrDefault);
    }

    [Fact]
    public void No_warmup_starts_at_the_peak()
    {
        var schedule = new LearningRateSchedule(2e-3, 0, 0, 10);
        Assert.Equal(2e-3 * 0.5 * (1 + Math.Cos(Math.PI / 10)), schedule.At(1), 15);
        Assert.Equal(0, schedule.At(10));
    }
}

using System.Runtime.InteropServices;

namespace Mcp.Frames.Serial.Native;

/// <summary>
/// Linux's <c>struct termios</c> as glibc and musl lay it out on the architectures of <see cref="LibC"/> (60 bytes),
/// followed by spare room, so that libc never writes past it. The speed fields are libc's own: read and set the speed
/// only through <c>cfgetispeed</c>/<c>cfsetispeed</c> and friends.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct Termios
{
    public uint IFlag;
    public uint OFlag;
    public uint CFlag;
    public uint LFlag;
    public byte Line;
    public fixed byte ControlChars[ControlCharCount];
    public uint ISpeedField;
    public uint OSpeedField;
    private fixed byte _spare[196];

    public const int ControlCharCount = 32;

    // c_cc indices.
    public const int VTime = 5;
    public const int VMin = 6;
    public const int VStart = 8;
    public const int VStop = 9;

    // c_iflag.
    public const uint IgnBrk = 0x1;
    public const uint BrkInt = 0x2;
    public const uint IgnPar = 0x4;
    public const uint ParMrk = 0x8;
    public const uint InPck = 0x10;
    public const uint IStrip = 0x20;
    public const uint IXOn = 0x400;
    public const uint IXAny = 0x800;
    public const uint IXOff = 0x1000;

    // c_cflag.
    public const uint CSize = 0x30;
    public const uint CS5 = 0x0;
    public const uint CS6 = 0x10;
    public const uint CS7 = 0x20;
    public const uint CS8 = 0x30;
    public const uint CStopB = 0x40;
    public const uint CRead = 0x80;
    public const uint ParEnb = 0x100;
    public const uint ParOdd = 0x200;
    public const uint HupCl = 0x400;
    public const uint CLocal = 0x800;
    public const uint CmsPar = 0x40000000;
    public const uint CrtsCts = 0x80000000;

    // c_lflag.
    public const uint ISig = 0x1;
    public const uint ICanon = 0x2;
    public const uint Echo = 0x8;
    public const uint IExten = 0x8000;

    /// <summary>XON and XOFF, the characters of software flow control.</summary>
    public const byte XOn = 0x11;
    public const byte XOff = 0x13;

    /// <summary>The baud rates that have a <c>Bxxx</c> speed constant, in increasing order.</summary>
    public static ReadOnlySpan<int> StandardBaudRates =>
    [
        50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800,
        500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000,
    ];

    /// <summary>The <c>Bxxx</c> constant of a baud rate (134 stands for 134.5), or <see langword="false"/> if it has none.</summary>
    public static bool TryGetSpeed(int baudRate, out uint speed)
    {
        int index = StandardBaudRates.IndexOf(baudRate);
        if (index < 0)
        {
            speed = 0;
            return false;
        }

        // B50 (1) to B38400 (15) follow each other; the higher rates are B57600 (0x1001) onwards (CBAUDEX).
        speed = index < 15 ? (uint)(index + 1) : (uint)(0x1001 + (index - 15));
        return true;
    }

    /// <summary>The baud rate of a <c>Bxxx</c> constant, for messages; -1 for an unknown one.</summary>
    public static int BaudRateOf(uint speed)
    {
        for (int i = 0; i < StandardBaudRates.Length; i++)
        {
            if (TryGetSpeed(StandardBaudRates[i], out uint known) && known == speed)
            {
                return StandardBaudRates[i];
            }
        }

        return speed == 0 ? 0 : -1;
    }
}

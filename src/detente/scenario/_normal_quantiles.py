"""SciPy's ``ndtri`` at the bloc members' quantile midpoints, for the usual member counts.

A point compile of a bloc of ``c`` members (:func:`detente.scenario.ratification._compile_body`)
places them at the standard normal quantiles ``ndtri((k + 0.5) / c)``, ``k = 0 .. c - 1``. Those
numbers depend only on ``c``, and importing ``scipy.special`` for them costs 0.2-0.3 s of CPU
(``ratify`` starts twice as fast without it). This module holds SciPy's own values (SciPy 1.17,
``scipy.special.ndtri``, float64, little-endian) for every count up to 20 and for the larger
counts of the bundled scenarios; any other count still calls SciPy. Other formulas for the
normal quantile (``statistics.NormalDist.inv_cdf``) differ from ``ndtri`` in the last bits, so
the table is SciPy's bits, and ``tests/scenario/test_normal_quantiles.py`` recomputes every entry
with SciPy and compares them bit for bit.
"""

from __future__ import annotations

import base64

import numpy as np

#: Member counts whose quantiles are tabulated, in the order of :data:`_TABLE`.
COUNTS: tuple[int, ...] = (
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
    13,
    14,
    15,
    16,
    17,
    18,
    19,
    20,
    50,
    105,
    324,
)

_TABLE = (
    "AAAAAAAAAABJilKHa5Xlv0mKUodrleU/1UJ7Eh717r8AAAAAAAAAANVCexIe9e4/ZgV7wNRn8r+vftxblmTUv69+3FuW"
    "ZNQ/ZgV7wNRn8j8ybeI2PIH0v/zFgpXjx+C/AAAAAAAAAAD6xYKV48fgPzJt4jY8gfQ/IlEnc74g9r9JilKHa5Xlv6zp"
    "uE9R78q/sem4T1Hvyj9JilKHa5XlPyJRJ3O+IPY//EBJ/Zhx97/QR1B9GlXpv907VFtJbte/AAAAAAAAAADgO1RbSW7X"
    "P9BHUH0aVek//EBJ/Zhx9z++2uH7wYv4vxfXNy6BY+y/6Mwy2xxI37+TJNuqwSLEv5Mk26rBIsQ/6Mwy2xxI3z8X1zcu"
    "gWPsP77a4fvBi/g/EX7sA9N9+b/VQnsSHvXuv/B5xmfS3OK/o1eCUNQP0r8AAAAAAAAAAKVXglDUD9I/8HnGZ9Lc4j/V"
    "QnsSHvXuPw5+7APTffk/vmpnCVJR+r9su4UtO5Xwv0mKUodrleW/T8xsLBep2L/Qko7HqxXAv9WSjserFcA/T8xsLBep"
    "2D9JilKHa5XlP2y7hS07lfA/u2pnCVJR+j9Gow9EyQz7v0Q/VeSBjPG/DU/RJXXu579/PyRNLULevwayb7/XbM2/AAAA"
    "AAAAAAALsm+/12zNP3w/JE0tQt4/DU/RJXXu5z9EP1XkgYzxP0qjD0TJDPs/0uHPueW0+79mBXvA1GfyvwZ61S+w/em/"
    "Xxkqmn6N4b+vftxblmTUv1UP7hVCybq/Sw/uFULJuj+vftxblmTUP2EZKpp+jeE/BnrVL7D96T9mBXvA1GfyP9Phz7nl"
    "tPs/YorMextN/L9Ik9kxkCzzv3yAFM5R0uu/20fVZTyv478RSO4wkFPZv0FxGwfq1ci/AAAAAAAAAAA8cRsH6tXIPxFI"
    "7jCQU9k/2UfVZTyv4z98gBTOUdLrP0iT2TGQLPM/YorMextN/D9aCZ0jCdj8v7pJj7av3vO/zAodv2F37b9JilKHa5Xl"
    "vwhC2kZjrd2/fxLoZHtm0b+2+jQWzfK2v7b6NBbN8rY/fRLoZHtm0T8LQtpGY63dP0mKUodrleU/zAodv2F37T+8SY+2"
    "r97zP1wJnSMJ2Pw//MKH37ZX/b8ybeI2PIH0v9VCexIe9e6/+SFV0BBL57/8xYKV48fgv4+KEK3xzdW/YDPh/Yx9xb8A"
    "AAAAAAAAAGAz4f2MfcU/jIoQrfHN1T/6xYKV48fgP/ohVdAQS+c/1UJ7Eh717j8ybeI2PIH0P/zCh9+2V/0/IrA87r/N"
    "/b9+CzuYkhb1v9pVo3PrKPC/7w4Bc3LY6L9PYR4sQIjivyC51w53vtm/f/8Ng6Nczr8aB0r81RK0vxoHSvzVErQ/f/8N"
    "g6Nczj8gudcOd77ZP09hHixAiOI/7w4Bc3LY6D/aVaNz6yjwP34LO5iSFvU/IrA87r/N/T/MktHLbjv+vwbqJoeSoPW/"
    "amQ3AT7J8L/wfwbF7UPqv79+4bz7H+S/u/uGL3JN3b+Drfor2CfTv+ZCQNo98cK/AAAAAAAAAADmQkDaPfHCP4Ot+ivY"
    "J9M/vfuGL3JN3T/AfuG8+x/kP+5/BsXtQ+o/amQ3AT7J8D8G6iaHkqD1P8yS0ctuO/4/hNcp3NCh/r8iUSdzviD2vwmV"
    "m6Z9XfG/d4Hot4GS679JilKHa5Xlv5r/CMCIReC/1mCq4VrA1r+s6bhPUe/KvzvJyvXe1rG/O8nK9d7WsT+x6bhPUe/K"
    "P9NgquFawNY/mv8IwIhF4D9JilKHa5XlP3eB6LeBkus/CJWbpn1d8T8iUSdzviD2P4LXKdzQof4/JgPQeMQB/7+kgrMA"
    "Upj2vxf7Q+dA5/G/N/gptyvI7L9sxF0qjO3mv8WnVsLtweG/xMMRKMUH2r8/qDWHbhbRv+Dtrqag78C/AAAAAAAAAADl"
    "7a6moO/APz+oNYduFtE/x8MRKMUH2j/Fp1bC7cHhP2zEXSqM7eY/N/gptyvI7D8X+0PnQOfxP6CCswBSmPY/KgPQeMQB"
    "/z+G/+4xA1z/vybl0yZSCPe/ZgV7wNRn8r8LRwvNJ+jtv5YBJCJcLOi/rZEG2Nkg47/FOLyRcArdv69+3FuWZNS/GNH0"
    "Vwg1yL9l7oAojQ2wv2XugCiNDbA/E9H0Vwg1yD+vftxblmTUP8c4vJFwCt0/rZEG2Nkg4z+WASQiXCzoPwlHC80n6O0/"
    "ZgV7wNRn8j8m5dMmUgj3P4T/7jEDXP8/Dv8wRlycAsBBkdgJuxf+v75qZwlSUfq/8iecDdec97+IWdqMu3P1v9fnMvPb"
    "n/O/X55btLIF8r9su4UtO5Xwv0fCp5GFiO6/esmQ+LkX7L+sxVfuM87pv7MZwCWipOe/SYpSh2uV5b8TX1/9KZzjv74g"
    "E99TteG/x1JkGAO8378cXumMiSfcv0/MbCwXqdi/DuqA0RU91b8FiYbxXODRvyh7hZwxIM2/LevLum2Txr/Qko7HqxXA"
    "v+nbF7ziRLO/Eml49Kmrmb8SaXj0qauZP+nbF7ziRLM/1ZKOx6sVwD8o68u6bZPGPyN7hZwxIM0/BYmG8Vzg0T8O6oDR"
    "FT3VP0/MbCwXqdg/Hl7pjIkn3D/FUmQYA7zfP7wgE99TteE/E19f/Smc4z9JilKHa5XlP7MZwCWipOc/rMVX7jPO6T97"
    "yZD4uRfsP0fCp5GFiO4/bLuFLTuV8D9fnlu0sgXyP9rnMvPbn/M/iFnajLtz9T/0J5wN15z3P7tqZwlSUfo/QJHYCbsX"
    "/j8O/zBGXJwCQONk7zTCvQTAmsj7zcmDAcDOLdFsKbH/v/zCh9+2V/2/uACqC8d++78xX8tCgfT5v8YD4AKon/i//EBJ"
    "/Zhx979MW8r3DGH2v9oTOsG+Z/W/Mm3iNjyB9L8dIvuMP6rzvwLEkzFN4PK/slrM5XYh8r8SGSFDNGzxv9KoSTNIv/C/"
    "v3+Djq4Z8L/VQnsSHvXuvw+MJmRnwu2/CuwByAOa7L9IGCvm6Xrrvy57KS40ZOq/0EdQfRpV6b/W0Mwe7Uzov/khVdAQ"
    "S+e/6z/rjftO5r/OWIL3MVjlvySl4S5FZuS/ClRrFNF44784kXXPeo/iv0F9VJPvqeG//MWClePH4L/TTqhXItLfv7Xo"
    "AxdwGt6/crSrRjlo3L9uJq4YD7vav+bXfRqKEtm/3TtUW0lu17+PihCt8c3VvzISdPssMdS/SXVPtqmX0r/+/MNLGgHR"
    "v2GyYGBp2s6/UxR942O3y79fM6urm5jIv2Az4f2MfcW/pXEfM7hlwr95w4g8QqG+v2cCqPece7i/mjzY05JZsr/UFCyb"
    "c3Sov0ZNiKOqcpi/AAAAAAAAAAAeTYijqnKYP+gULJtzdKg/mjzY05JZsj9nAqj3nHu4P4PDiDxCob4/pXEfM7hlwj9g"
    "M+H9jH3FP1ozq6ubmMg/WBR942O3yz9hsmBgadrOP/z8w0saAdE/THVPtqmX0j8yEnT7LDHUP4yKEK3xzdU/4DtUW0lu"
    "1z/m130aihLZP24mrhgPu9o/b7SrRjlo3D+16AMXcBreP9NOqFci0t8/+sWClePH4D9DfVST76nhPziRdc96j+I/CVRr"
    "FNF44z8mpeEuRWbkP85YgvcxWOU/6z/rjftO5j/6IVXQEEvnP9bQzB7tTOg/0EdQfRpV6T8seykuNGTqP0gYK+bpeus/"
    "CuwByAOa7D8PjCZkZ8LtP9VCexIe9e4/v3+Djq4Z8D/SqEkzSL/wPxIZIUM0bPE/slrM5XYh8j8CxJMxTeDyPxoi+4w/"
    "qvM/Mm3iNjyB9D/aEzrBvmf1P0xbyvcMYfY//EBJ/Zhx9z/GA+ACqJ/4PzFfy0KB9Pk/vACqC8d++z/8wofftlf9P84t"
    "0Wwpsf8/nMj7zcmDAUDmZO80wr0EQKy3A7AGrAfATWKBnZLRBMCb9XitaWADwM7u37DAYALAN47g3HCaAcDtc4pkG/cA"
    "wBVwwF14awDA2QqFXAbi/79XRvA9Ogf/vwq0N73+QP6/QzxhdWaL/b+4nFAij+P8vwiGnQpKR/y/0uHPueW0+79iZkXg"
    "Civ7v5K9OsGkqPq/5qxL5NAs+r+PjOOA07b5vyxctBQPRvm/0xUGKP7Z+L8ywIKaLnL4v5hCvgk+Dvi/inKeBdet97/O"
    "Y6LdrlD3v5FcVOGD9va/KpCj+Buf9r/cByWAQ0r2vyzEW1rM9/W/3jHVKo2n9b9G+ZKyYFn1v9B7MkclDfW/zAa5X7zC"
    "9L+VuAUzCnr0v8hjwGT1MvS/tSJBvmbt87/WhWvxSKnzv/6G22OIZvO/D3EQARMl87+KsX8S2OTyv7LHqhzIpfK/ZgV7"
    "wNRn8r9FuEWg8Cryv4sx9UcP7/G/gkLoFyW08b8VFSsyJ3rxv4qQumkLQfG/BU2PM8gI8b+B7jaZVNHwvwT4yiyomvC/"
    "uAob/rpk8L/7UuaQhS/wv1qXCagB9u+/tFHKMkyO77/BiI8d3ifvv4fYQ26rwu6/MhEvyahe7r89j/Zly/vtv6/QjgUJ"
    "mu2/o8YF6Vc57b9CPxDJrtnsv9BAR84Ee+y/t1gEilEd7L/KxM3vjMDrvwoERU+vZOu/9c6LTrEJ678LvRTli6/qvwP8"
    "1VY4Vuq/BnrVL7D96b8WxAZA7aXpv3Cfc5fpTum/wxSpgp/46L/gP2OHCaPov/TBcmEiTui/5i/X/+T557+yRQqCTKbn"
    "v0MKeDVUU+e/kmggk/cA578NEl89Mq/mv4TG1v3/Xea/n119w1wN5r/ZKMagRL3lv6N46MmzbeW/Yz9Ak6Ye5b+E98Zv"
    "GdDkv+MYo+8IguS/GY3MvnE05L8mssSjUOfjvzOYYH6imuO/kEGkRmRO479cxK0LkwLjvy9Dr/Irt+K/Vsb2NSxs4r+a"
    "EQMkkSHiv2KjpB5Y1+G/Xxkqmn6N4b85RZccAkThv39I5jzg+uC/VBtSohay4L/266kDo2ngv4/PrCaDIeC/+Ivavmmz"
    "37+kNXgfbCTfv0RrNE0Jlt6/KuZhPz0I3r/5TaEFBHvdv6Db6cZZ7ty/bvOcwDpi3L+XGaRFo9bbv9ytmL2PS9u/3uT0"
    "o/zA2r+HfU2H5jbav1K5kwhKrdm/aiVf2iMk2b90yT7AcJvYvzpXEY4tE9i/RfxjJ1eL178cfNd+6gPXv+4+i5XkfNa/"
    "KgWOekL21b8o9VNKAXDVv/q7MS4e6tS/r37cW5Zk1L+pXO4UZ9/Tvy9Hb6aNWtO/sPVhaAfW0r/fwFS90VHSv/Ux9hHq"
    "zdG/lxWt3E1K0b+w5DOd+sbQv5NXN9ztQ9C/J/TvVUqCz78FMt1FPH3Ov0jH5sqseM2/aTrPNpd0zL8VecPp9nDLv/ax"
    "t1HHbcq/HIvI6QNryb8seaA5qGjIv5L+4NSvZse/qpuPWhZlxr+3O4Z012PFvw/s5tbuYsS/X62SP1hiw7/9L6N1D2LC"
    "v7pO50gQYsG/ixxikVZiwL8jt5hdvMW+vw9pMBBGx7y/VQ/uFULJur+4YcJWqMu4v3s0P8Zwzra/4fGtYpPRtL9bIik0"
    "CNWyv3y+uEvH2LC/jxDihJG5rb8NUydxCcKpv4WuZanmyqW/d3WshRnUob/6h4XOJLubv3Hn7W2DzpO/eKfAjV/Eh7/h"
    "XRj4VbBvv+FdGPhVsG8/eKfAjV/Ehz+Z5+1tg86TPyKIhc4ku5s/Y3WshRnUoT9xrmWp5sqlPw1TJ3EJwqk/jxDihJG5"
    "rT98vrhLx9iwP1siKTQI1bI/6/GtYpPRtD+FND/GcM62P61hwlaoy7g/Sw/uFULJuj8PaTAQRse8PyO3mF28xb4/ixxi"
    "kVZiwD+6TudIEGLBPwIwo3UPYsI/ZK2SP1hiwz8K7ObW7mLEP7I7hnTXY8U/qpuPWhZlxj+S/uDUr2bHPyx5oDmoaMg/"
    "HIvI6QNryT/7sbdRx23KPxt5w+n2cMs/ZDrPNpd0zD9Bx+bKrHjNPwUy3UU8fc4/J/TvVUqCzz+TVzfc7UPQP7DkM536"
    "xtA/mRWt3E1K0T/4MfYR6s3RP93AVL3RUdI/rfVhaAfW0j8vR2+mjVrTP6lc7hRn39M/r37cW5Zk1D/6uzEuHurUPyj1"
    "U0oBcNU/LAWOekL21T/wPouV5HzWPxp8137qA9c/Q/xjJ1eL1z86VxGOLRPYP3TJPsBwm9g/aiVf2iMk2T9SuZMISq3Z"
    "P4l9TYfmNto/4eT0o/zA2j/YrZi9j0vbP5QZpEWj1ts/bvOcwDpi3D+g2+nGWe7cP/lNoQUEe90/KuZhPz0I3j9GazRN"
    "CZbeP6g1eB9sJN8/9ovavmmz3z+Nz6wmgyHgP/brqQOjaeA/VBtSohay4D9/SOY84PrgPzlFlxwCROE/YRkqmn6N4T9j"
    "o6QeWNfhP5kRAySRIeI/Vcb2NSxs4j8vQ6/yK7fiP1zErQuTAuM/kEGkRmRO4z8zmGB+oprjPyeyxKNQ5+M/Go3MvnE0"
    "5D/hGKPvCILkP4P3xm8Z0OQ/Yz9Ak6Ye5T+jeOjJs23lP9koxqBEveU/n119w1wN5j+Extb9/13mPxASXz0yr+Y/j2gg"
    "k/cA5z9DCng1VFPnP7JFCoJMpuc/5i/X/+T55z/0wXJhIk7oP+A/Y4cJo+g/wxSpgp/46D9yn3OX6U7pPxXEBkDtpek/"
    "BnrVL7D96T8D/NVWOFbqPwu9FOWLr+o/9c6LTrEJ6z8KBEVPr2TrP8rEze+MwOs/uVgEilEd7D/PQEfOBHvsP0I/EMmu"
    "2ew/o8YF6Vc57T+v0I4FCZrtPz2P9mXL++0/MhEvyahe7j+H2ENuq8LuP8KIjx3eJ+8/slHKMkyO7z9alwmoAfbvP/tS"
    "5pCFL/A/uAob/rpk8D8E+MosqJrwP4HuNplU0fA/BU2PM8gI8T+LkLppC0HxPxEVKzInevE/gkLoFyW08T+LMfVHD+/x"
    "P0W4RaDwKvI/ZgV7wNRn8j+yx6ocyKXyP46xfxLY5PI/D3EQARMl8z/+httjiGbzP9SFa/FIqfM/tSJBvmbt8z/IY8Bk"
    "9TL0P5W4BTMKevQ/0Aa5X7zC9D/QezJHJQ31P0b5krJgWfU/3jHVKo2n9T8qxFtazPf1P9wHJYBDSvY/KpCj+Buf9j+R"
    "XFThg/b2P85jot2uUPc/inKeBdet9z+YQr4JPg74PzTAgpoucvg/0xUGKP7Z+D8sXLQUD0b5P4+M44DTtvk/46xL5NAs"
    "+j+SvTrBpKj6P2JmReAKK/s/0+HPueW0+z8Lhp0KSkf8P7acUCKP4/w/QDxhdWaL/T8KtDe9/kD+P1VG8D06B/8/2QqF"
    "XAbi/z8WcMBdeGsAQPBzimQb9wBAO47g3HCaAUDK7t+wwGACQJb1eK1pYANAS2KBnZLRBECptwOwBqwHQA=="
)

_cache: dict[int, np.ndarray] = {}


def midpoint_quantiles(count: int) -> np.ndarray:
    """``ndtri((arange(count) + 0.5) / count)`` bit for bit as SciPy computes it (a new array).

    Parameters
    ----------
    count : int
        Number of bloc members (at least 1).

    Returns
    -------
    ndarray, shape (count,)
        The standard normal quantiles at the midpoints of ``count`` equal slices.
    """
    if not _cache:
        values = np.frombuffer(base64.b64decode("".join(_TABLE)), dtype="<f8")
        start = 0
        for c in COUNTS:
            _cache[c] = values[start : start + c]
            start += c
    if count in _cache:
        return _cache[count].astype(float)
    from scipy.special import ndtri  # lazy: 0.2-0.3 s, only for counts not tabulated

    return ndtri((np.arange(count) + 0.5) / count)
